"""Report models (Qt-free): what a printed report says, built from an incident or a period.

The renderer (``ui/reports``) only lays out and paints what these builders produce; the figures,
the masking of pictures and the verification of printed files are decided here.
"""
