"""The pipeline language and the Spark engine. Imports nothing from Django."""
