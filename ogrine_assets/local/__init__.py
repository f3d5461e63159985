"""What runs on one machine: the home on disk and the stack of ``ogrine up``.

The home (``OGRINE_HOME``): its lock (``lock.py``), files written whole (``files.py``), its
stores made whole (``stores.py``) and the identity of the processes that run in it
(``processes.py``). The stack: its parts' commands (``parts.py``), the stack itself
(``stack.py``), one per home (``stack_home.py``), how its processes end with it
(``keeper.py``), when it is ready (``readiness.py``), what it asks of Dagster once ready
(``catch_up.py``), what of its output reaches the terminal (``console.py``), and the
addresses in MLflow's UI it gives (``mlflow_ui.py``).
"""
