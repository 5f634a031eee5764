"""The Spark engine: runs one pipeline definition, all-or-nothing (docs/operators/engine.md).

from spark_runner.engine import EngineSettings, get_session, RunContext, run_pipeline
spark = get_session(EngineSettings.from_env())
result = run_pipeline(pipeline, RunContext(spark, "retail", "staging", run_id, run_date,
                                           params, files, data_root, secrets))
"""

from spark_runner.engine.context import RunContext
from spark_runner.engine.errors import EngineError, RunError
from spark_runner.engine.failures import cancel_run
from spark_runner.engine.result import PipelineResult, SourceMetrics, StepMetrics, TargetMetrics
from spark_runner.engine.run import SparkPipeline, run_pipeline
from spark_runner.engine.session import get_session, stop_session
from spark_runner.engine.settings import EngineSettings

__all__ = [
    "EngineError",
    "EngineSettings",
    "PipelineResult",
    "RunContext",
    "RunError",
    "SourceMetrics",
    "SparkPipeline",
    "StepMetrics",
    "TargetMetrics",
    "cancel_run",
    "get_session",
    "run_pipeline",
    "stop_session",
]
