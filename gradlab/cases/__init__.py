"""Running many cases: hypothesis strategies, the runner that shrinks a failure, per-sample versus batch."""
