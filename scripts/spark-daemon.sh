#!/usr/bin/env bash
# Starts a Spark standalone master or worker in the foreground from the pyspark installation.
# Usage: spark-daemon.sh master [host] | spark-daemon.sh worker spark://HOST:7077
set -euo pipefail
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] && PY=.venv/bin/python
SPARK_HOME="$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME
role="${1:?master or worker}"
case "$role" in
  master) exec "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
            --host "${2:-0.0.0.0}" --port 7077 --webui-port 8080 ;;
  worker) exec "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
            --cores "${SPARK_WORKER_CORES:-2}" --memory "${SPARK_WORKER_MEMORY:-2g}" "${2:?master url}" ;;
  *) echo "unknown role: $role (master or worker)" >&2; exit 2 ;;
esac
