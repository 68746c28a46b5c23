from tests.pipeline.conftest import make_ctx  # noqa: F401  (the pipeline's context fixture)
