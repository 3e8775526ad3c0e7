"""gradlab inside pytest: `assert_backward` and the plugin (as `numpy.testing` is numpy's)."""
