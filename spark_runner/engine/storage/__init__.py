"""Sources and targets: CSV files, JDBC databases, Hive tables."""
