"""The one settings module. Every value that differs between machines comes from the
environment (see README "Configuration"); nothing else reads os.environ."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.security import AUDITED_MODELS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-dev-key-only-for-debug")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # required: no default outside debug
if not SECRET_KEY.strip():  # an empty key would boot and answer every page with a 500
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is empty: set it to a long random value")
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "office.admin_site.OfficeAdminConfig",  # django.contrib.admin, the home page as index
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_results",
    "django_celery_beat",
    "import_export",
    "config.apps.AxesConfig",  # django-axes
    "config.apps.AuditlogConfig",  # django-auditlog
    "office",
    "policies",
    "enrollment",
    "claims",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "office.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "office.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE_URL unset -> a SQLite file in the project (the embedded default).
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in and sessions (README "Sign-in, sessions, audit"). django-axes counts failed
# sign-ins per user name from one address and locks that pair for a while; 医保办 unlock
# earlier in the admin (登录安全 → 登录失败记录). The address is the one the TLS proxy saw
# (office.security); the locked-out page is templates/admin/lockout.html.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "office.security.client_ip"
AXES_LOCKOUT_CALLABLE = "office.security.lockout_response"
AXES_ENABLE_ADMIN = False  # office/security_admin.py registers one with 解除锁定
AXES_COOLOFF_MESSAGE = "登录失败次数过多，该账户已暂时锁定，请 30 分钟后再试，或请医保办解除锁定。"
AXES_VERBOSE = False
# A staff session ends after 30 idle minutes (each request renews it) and with the browser.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Audit trail (django-auditlog): who changed what, when, on the records config/security.py
# names; ID numbers are stored masked. Bulk writes bypass it (README).
AUDITLOG_INCLUDE_TRACKING_MODELS = AUDITED_MODELS

# Uploaded files that hold full ID numbers (roster imports, incoming files) are removed
# this many days after upload, imported or not (office.retention, swept hourly).
UPLOAD_RETENTION_DAYS = env.int("UPLOAD_RETENTION_DAYS", default=1)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# The region (统筹地区 code) of the school's city: every command, page and default uses
# its policy years; a school that spans two regions names the other one explicitly.
SCHOOL_REGION = env.str("SCHOOL_REGION", default="shanghai")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "office.storage.UploadStorage"},  # keeps any upload's name
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Upload limits; the roster import applies its own, stricter caps before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# django-import-export (the facility list, claims/resources.py): importing needs the
# model's add permission and exporting its view permission (the package's default lets
# any staff account import), and an exported cell that starts like a formula is escaped.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Celery. REDIS_URL unset -> tasks run in-process (the embedded default); set -> Redis
# broker, results and schedules in the database.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = timedelta(days=7)
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A bulk job is acknowledged only when it finished, so a killed worker's job is
# redelivered; one job at a time per worker process keeps long jobs from starving others.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Jobs after a crash (README): one number sets the rest. A running job whose heartbeat (its
# progress) is older than JOB_STALE_AFTER lost its worker, and the beat task
# office.requeue_stalled_jobs queues it again. A task is stopped before that (its time
# limit), so a live task is never taken for a lost one; a long job hands on to a new task
# after JOB_TASK_BUDGET; and Redis, which redelivers an unacknowledged message after its
# visibility timeout, waits longer still, so it never hands a live task to a second worker:
#   soft time limit < time limit < JOB_STALE_AFTER < visibility timeout.
JOB_STALE_AFTER = timedelta(seconds=env.int("JOB_STALE_AFTER_SECONDS", default=5 * 60))
JOB_TASK_BUDGET = JOB_STALE_AFTER * 0.4
CELERY_TASK_SOFT_TIME_LIMIT = JOB_STALE_AFTER.total_seconds() * 0.7
CELERY_TASK_TIME_LIMIT = JOB_STALE_AFTER.total_seconds() * 0.8
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": JOB_STALE_AFTER.total_seconds() * 3}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The schedules live in the database, editable in the admin (定时任务): created once by
# office/migrations/0002_schedules.py from office/schedules.py. Nothing static here, or
# beat would overwrite the staff's edits each time it starts.
CELERY_BEAT_SCHEDULE = {}
# The daily pending-confirmation digest is also mailed here when set (and EMAIL_* set up).
DIGEST_EMAIL = env.list("DIGEST_EMAIL", default=[])
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
# A job's produced file (a roster's rows in error, a digest) is kept this long, then
# removed nightly (office.remove_stale_jobs); the schedules' records are kept longer.
JOB_FILE_RETENTION = timedelta(days=env.int("JOB_FILE_RETENTION_DAYS", default=7))
SCHEDULED_RUN_RETENTION = timedelta(days=400)
