"""Video: camera capture now; the camera wall's supervision and vision come in later issues."""
