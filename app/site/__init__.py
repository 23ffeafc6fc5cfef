"""The site file: its schema, its loader with line-accurate errors, and its address grammar."""
