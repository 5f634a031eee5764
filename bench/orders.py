"""The orders the engine benchmarks read: their JSON schema and the Spark struct of it."""

from pyspark.sql import types as T

SCHEMA_JSON = """{"type": "object", "properties": {
  "order_id": {"type": "integer"}, "customer_id": {"type": "integer"},
  "day": {"type": "string", "format": "date"}, "status": {"type": "string"},
  "amount": {"type": "number", "format": "decimal(10,2)"},
  "updated_at": {"type": "string", "format": "date-time"}},
  "required": ["order_id"]}"""
STRUCT = T.StructType(
    [
        T.StructField("order_id", T.LongType()),
        T.StructField("customer_id", T.LongType()),
        T.StructField("day", T.DateType()),
        T.StructField("status", T.StringType()),
        T.StructField("amount", T.DecimalType(10, 2)),
        T.StructField("updated_at", T.TimestampType()),
    ]
)
