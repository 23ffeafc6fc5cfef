"""Computer vision for the ward's cameras: object detection, motion gating, tracking, zone rules.

Qt-free. Models are the shipped ones (see resources/vision/models.toml); nothing is downloaded.
"""
