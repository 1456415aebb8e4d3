"""lifecircle.value: segments, plan fit, product associations, propensity and next best offer."""
