"""A helper the tests of several chapters share."""
import numpy as np


def steps_of(opt, grads, theta0=0.0):
    """Feed ``grads`` one by one to ``opt`` on one parameter array that starts at ``theta0``;
    return the steps ``θ_t − θ_{t−1}``, one row per gradient."""
    theta = np.full(np.shape(grads[0]), theta0, dtype=float)
    out = []
    for g in grads:
        before = theta.copy()
        opt.update(theta, np.array(g, dtype=float))
        out.append(theta - before)
    return np.array(out)
