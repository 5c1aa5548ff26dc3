"""Problems: recurring tickets grouped, with root cause, workaround and a planned fix."""
