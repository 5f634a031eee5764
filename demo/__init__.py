"""The demo application "retail": config files (demo/config) and sample data (demo/data)."""
