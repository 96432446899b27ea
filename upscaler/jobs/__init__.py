"""How jobs run. Services enqueue a job by its task name on commit (`dispatch`); the backend named
by settings.UPSCALER_JOB_BACKEND runs it (`backends/`: Celery workers, this process's threads, or
inline); `registry` maps each task name to the service that does the work. Above the services:
the Celery tasks (`tasks`), the embedded-mode lifespan (`embedded`) and the worker heartbeat
(`heartbeat`). The reaper's rules are a service (services/recovery.py); its schedule is Celery beat's.
"""
