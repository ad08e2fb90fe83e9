"""Optuna 3.1's side of scripts/compare-optuna.js (run with Debian's /usr/bin/python3).

  compare_optuna.py bench TRIALS SEEDS      -> JSON {mode: {problem: [best value per seed]}},
                                               mode = univariate (Optuna 3.1's default), multivariate
  compare_optuna.py write PATH              -> writes a journal study "py-written"
  compare_optuna.py read PATH NAME          -> JSON summary of the study NAME in PATH
"""
import json
import math
import sys
import warnings

import optuna

warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)


def branin(t):
    x1 = t.suggest_float("x1", -5, 10)
    x2 = t.suggest_float("x2", 0, 15)
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


def rosenbrock4(t):
    x = [t.suggest_float(f"x{i}", -2, 2) for i in range(4)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))


def logsphere5(t):
    return sum((math.log10(t.suggest_float(f"x{i}", 1e-3, 10, log=True)) + 1) ** 2 for i in range(5))


def mixed(t):
    units = t.suggest_int("units", 1, 1024, log=True)
    act = t.suggest_categorical("act", ["relu", "tanh", "gelu", "sigmoid"])
    drop = t.suggest_float("dropout", 0, 0.9, step=0.05)
    layers = t.suggest_int("layers", 1, 8)
    return (math.log2(units) - 6) ** 2 + ["relu", "tanh", "gelu", "sigmoid"].index(act) + 10 * (drop - 0.3) ** 2 + abs(layers - 3)


PROBLEMS = {"branin": branin, "rosenbrock4": rosenbrock4, "logsphere5": logsphere5, "mixed": mixed}


def storage(path):
    return optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(path))


def summary(study):
    return {
        "direction": study.direction.name,
        "trials": [
            {"number": t.number, "state": t.state.name, "value": t.value, "params": t.params,
             "intermediate": {str(k): v for k, v in t.intermediate_values.items()}}
            for t in study.trials
        ],
    }


def main():
    cmd = sys.argv[1]
    if cmd == "bench":
        trials, seeds = int(sys.argv[2]), int(sys.argv[3])
        out = {}
        for mode, multivariate in (("univariate", False), ("multivariate", True)):
            out[mode] = {}
            for name, f in PROBLEMS.items():
                out[mode][name] = []
                for seed in range(seeds):
                    s = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, multivariate=multivariate))
                    s.optimize(f, n_trials=trials)
                    out[mode][name].append(s.best_value)
        print(json.dumps(out))
    elif cmd == "write":
        s = optuna.create_study(study_name="py-written", storage=storage(sys.argv[2]),
                                sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=4),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=2))

        def f(t):
            v = mixed(t)
            for step in range(3):
                t.report(v + 2 - step, step)
                if t.should_prune():
                    raise optuna.TrialPruned()
            return v

        s.optimize(f, n_trials=12)
        print(json.dumps(summary(s)))
    elif cmd == "read":
        print(json.dumps(summary(optuna.load_study(study_name=sys.argv[3], storage=storage(sys.argv[2])))))


if __name__ == "__main__":
    main()
