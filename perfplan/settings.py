"""perfplan settings: 12-factor, read from the environment with safe development defaults."""

import datetime
import os
from collections.abc import Mapping
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


DEBUG = env_bool("DEBUG", True)
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")


def check_secret_key(key: str) -> None:
    """Refuse in production a key that signs sessions, password-reset tokens and CSRF badly: missing, short, with
    few distinct characters, Django's generated `django-insecure-` keys or this file's development key. The rules
    are those of Django's `check --deploy` (security.W009), made an error here instead of a warning."""
    if not key:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if key == DEVELOPMENT_SECRET_KEY or key.startswith("django-insecure-"):
        raise ImproperlyConfigured("SECRET_KEY is a development key: generate a new one for production.")
    if len(key) < 50 or len(set(key)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak: at least 50 characters and 5 different ones, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )


if DEBUG:
    SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY
else:
    check_secret_key(SECRET_KEY)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # runserver leaves /static/ to WhiteNoise too, as gunicorn does
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "import_export",  # the admin's spreadsheet import/export of units, users and the indicator catalogue
    "perfplan.package_apps.AxesItalianConfig",  # django-axes, the login throttle (perfplan/login_throttle.py)
    "csp",  # Content-Security-Policy header (CONTENT_SECURITY_POLICY below)
    "django_tasks",  # Django's Tasks API (the backport of Django 6.0's django.tasks)
    "perfplan.package_apps.TasksDatabaseItalianConfig",  # django-tasks-db: the queue is a table, `manage.py db_worker`
    "perfplan",  # login stamps of the session (perfplan/sessions.py) and the HTTPS system check
    "plans",
    "indicators",
    "consuntivi",
    "reports",
    "jobs",  # long work in the background with its progress: PDFs, imports, reminders (jobs/)
]

MIDDLEWARE = [
    "perfplan.request_log.RequestLogMiddleware",  # first: one log line per request, static files and redirects too
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # /static/ from STATIC_ROOT, before sessions and the login
    "csp.middleware.CSPMiddleware",  # on every response, errors and the admin too
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "perfplan.sessions.SessionTimeoutMiddleware",  # idle and absolute limits; after auth and messages
    "django.contrib.auth.middleware.LoginRequiredMiddleware",  # public views: @login_not_required
    "perfplan.middleware.PlanTooDeepMiddleware",  # a stored tree too deep to walk: a page that says so (409)
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the page that says until when
]

# django-axes first: it refuses a locked-out user or address before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "perfplan.backends.ProfileModelBackend",  # ModelBackend, the profile and ente read with the user
]

ROOT_URLCONF = "perfplan.urls"

# Django's renderer, the plain widgets (inputs, textareas, selects) drawn without a template render each: a third of
# «I miei indicatori»'s CPU (perfplan/form_renderer.py; same markup, tests/test_form_renderer.py).
FORM_RENDERER = "perfplan.form_renderer.FormRenderer"

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
                "perfplan.permissions.context_processor",
            ],
        },
    },
]

WSGI_APPLICATION = "perfplan.wsgi.application"

# Persistent connections: a server thread keeps its PostgreSQL connection for CONN_MAX_AGE seconds (0: one per
# request) and, with CONN_HEALTH_CHECKS, tests a kept connection at the start of the next request that uses it, so
# a database restart costs a reconnect instead of one failed request per thread. Each gunicorn thread holds its own
# connection: workers × threads of every server must fit in PostgreSQL's max_connections (README, «Produzione»).
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
            conn_health_checks=env_bool("CONN_HEALTH_CHECKS", True),
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not valid: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The audit history (perfplan/audit.py): read in /storico/ and in the admin, never written back from there.
SIMPLE_HISTORY_REVERT_DISABLED = True
# django-import-export (the admin's spreadsheets): every import in one transaction, rolled back on any row error;
# uploads wait for the confirmation in the cache-free temp folder of MEDIA_ROOT's storage (its default).
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_ACTION_EXPORT_UI = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "it"
LANGUAGES = [("it", "Italiano")]
TIME_ZONE = "Europe/Rome"
# Italian strings Django 5.2 leaves untranslated (the admin's filter widget, a few validation messages).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Off on purpose: ids in URLs and HTML attributes must never read «1.234». Numbers shown to people go through
# perfplan.formats (template filters it_number / it_percent), the one place for the Italian format.
USE_THOUSAND_SEPARATOR = False


def file_storage(environ: Mapping[str, str]) -> dict:
    """STORAGES["default"], where uploaded and generated files live (evidence, PDFs, signed documents, logos, pending
    imports, job inputs): a bucket of an S3-compatible object store when PERFPLAN_S3_BUCKET is set, so that every
    application server and job worker reads and writes the same files and none keeps any (README, «Scale-out»);
    else MEDIA_ROOT on this machine's disk. Everything goes through Django's storage API, never a local path."""
    bucket = environ.get("PERFPLAN_S3_BUCKET", "").strip()
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    access_key = environ.get("PERFPLAN_S3_ACCESS_KEY", "").strip()
    secret_key = environ.get("PERFPLAN_S3_SECRET_KEY", "").strip()
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            "PERFPLAN_S3_ACCESS_KEY and PERFPLAN_S3_SECRET_KEY go together: both, or neither (then boto3's own "
            "chain: AWS_* variables, ~/.aws, the instance's role)."
        )
    addressing_style = environ.get("PERFPLAN_S3_ADDRESSING_STYLE", "auto").strip().lower() or "auto"
    if addressing_style not in {"auto", "path", "virtual"}:
        raise ImproperlyConfigured(
            f"PERFPLAN_S3_ADDRESSING_STYLE must be auto, path or virtual, got {addressing_style!r}"
        )
    try:
        timeout = float(environ.get("PERFPLAN_S3_TIMEOUT", "10"))
    except ValueError:
        timeout = 0.0
    if timeout <= 0:
        raise ImproperlyConfigured("PERFPLAN_S3_TIMEOUT must be a positive number of seconds.")
    from botocore.config import Config  # only where S3 is used

    options = {
        "bucket_name": bucket,
        "endpoint_url": environ.get("PERFPLAN_S3_ENDPOINT_URL", "").strip() or None,
        "region_name": environ.get("PERFPLAN_S3_REGION", "").strip() or None,
        "location": environ.get("PERFPLAN_S3_PREFIX", "").strip().strip("/"),
        # A second file with the name of a stored one gets a new name, as on disk: S3's default would overwrite it
        # (two pieces of evidence both called «report.pdf»; a validated PDF whose name the final PDF prints).
        "file_overwrite": False,
        "default_acl": None,  # the bucket's own (private): files are served by perfplan, to whom may read them
        "client_config": Config(
            s3={"addressing_style": addressing_style},
            signature_version="s3v4",
            connect_timeout=timeout,
            read_timeout=max(timeout, 60.0),
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    }
    if access_key:
        options |= {"access_key": access_key, "secret_key": secret_key}
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Static files are served by the application itself (WhiteNoise's middleware, above): `collectstatic` copies them
# into STATIC_ROOT under hashed names (css/perfplan.3f9a….css), with .gz and .br copies, and the pages link those
# names; a hashed file is cached by browsers for a year, so a new release is fetched at once. With DEBUG on
# (runserver, tests) the files are read from static/ directly and no collectstatic is needed.
STORAGES = {
    "default": file_storage(os.environ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Not compressed: what is compressed already (WhiteNoise's list), and fonts that browsers take as woff2 (TrueType
# and EOT copies of Bootstrap Italia, the PDF's DejaVu read from disk by WeasyPrint): half of collectstatic's time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "ttf", "otf", "eot"]
# Only the hashed copies are kept (and served): every page links those; the other half of collectstatic's time.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Import bounds (perfplan/limits.py reads them; the README lists them). An upload larger than MAX_WORKBOOK_BYTES is
# refused while it streams; the zip directory is checked (total size, each entry's compression ratio) before any
# XML is parsed; then rows per sheet and in total, characters per cell and the tree's depth; errors are listed up to
# a number.
MAX_WORKBOOK_BYTES = int(os.environ.get("MAX_WORKBOOK_BYTES", str(20 * 1024 * 1024)))
# The OIV's signed Documento di validazione (a PDF uploaded after the validation).
MAX_SIGNED_PDF_BYTES = int(os.environ.get("MAX_SIGNED_PDF_BYTES", str(20 * 1024 * 1024)))
IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", str(200 * 1024 * 1024)))
IMPORT_MAX_COMPRESSION_RATIO = int(os.environ.get("IMPORT_MAX_COMPRESSION_RATIO", "100"))
IMPORT_MAX_ROWS_PER_SHEET = int(os.environ.get("IMPORT_MAX_ROWS_PER_SHEET", "100000"))
# Data rows of all the sheets together (headers excluded): with it the largest accepted import stays under 300 MB,
# about 260 MB for 75.000 indicators with three targets each (benchmarks/bench_hostile_import.py, README).
IMPORT_MAX_ROWS_TOTAL = int(os.environ.get("IMPORT_MAX_ROWS_TOTAL", "75000"))
IMPORT_MAX_CELL_CHARS = int(os.environ.get("IMPORT_MAX_CELL_CHARS", "32767"))
IMPORT_MAX_ERRORS_LISTED = int(os.environ.get("IMPORT_MAX_ERRORS_LISTED", "200"))
IMPORT_PENDING_HOURS = int(os.environ.get("IMPORT_PENDING_HOURS", "24"))  # uploads left in media/imports/
# Levels of the plan tree, from an area (1) down; pages, the PDF and the exports walk it recursively.
PLAN_MAX_TREE_DEPTH = int(os.environ.get("PLAN_MAX_TREE_DEPTH", "12"))
# The plan page of a plan with more nodes than this opens on its areas and their first level, deeper rows fetched
# when a node is expanded; «tutte le aree» then comes in pages of PLAN_PAGE_ROWS tree rows (plans/page.py).
PLAN_PAGE_LAZY_NODES = int(os.environ.get("PLAN_PAGE_LAZY_NODES", "1000"))
PLAN_PAGE_ROWS = int(os.environ.get("PLAN_PAGE_ROWS", "300"))
if PLAN_PAGE_LAZY_NODES < 0 or PLAN_PAGE_ROWS < 1:
    raise ImproperlyConfigured("PLAN_PAGE_LAZY_NODES must be 0 or more, PLAN_PAGE_ROWS a positive number of rows.")
# Scored plan years each server process keeps, dropped as soon as the database changes their plan's token
# (consuntivi.data_version): a page, a node's expansion or a document of an unchanged plan is not scored again.
# About 58 MB each for a 10.000-indicator plan, 2 MB for Modena's 237 indicators; 0 keeps none.
PLAN_SCORES_KEPT = int(os.environ.get("PLAN_SCORES_KEPT", "8"))
if PLAN_SCORES_KEPT < 0:
    raise ImproperlyConfigured("PLAN_SCORES_KEPT must be 0 or more.")
# «I miei indicatori» shows a Responsabile's rows in pages of this many (units, then objectives, in plan order): the
# form of each row costs, and the largest unit of a big plan has thousands (consuntivi.selectors.mine_page).
MINE_PAGE_ROWS = int(os.environ.get("MINE_PAGE_ROWS", "50"))
if MINE_PAGE_ROWS < 1:
    raise ImproperlyConfigured("MINE_PAGE_ROWS must be a positive number of rows.")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # the form's fields other than files
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # a larger file goes to a temporary file, deleted after the request
# Workbook uploads are stopped at MAX_WORKBOOK_BYTES while they stream: perfplan/uploads.py (bounded_uploads).

# The Relazione PDF is rendered this many table rows at a time (about 100 pages), each part laid out and freed
# before the next: WeasyPrint's memory grows with the pages of a document (reports/pdf.py).
RELAZIONE_PDF_CHUNK_ROWS = int(os.environ.get("RELAZIONE_PDF_CHUNK_ROWS", "1000"))
if RELAZIONE_PDF_CHUNK_ROWS < 1:
    raise ImproperlyConfigured("RELAZIONE_PDF_CHUNK_ROWS must be a positive number of rows.")
# Processes drawing those chunks at once (reports.pdf.pdf_workers): 0 = the cores available, at most 4; 1 = in the
# rendering process itself, one after the other.
RELAZIONE_PDF_WORKERS = int(os.environ.get("RELAZIONE_PDF_WORKERS", "0"))
if RELAZIONE_PDF_WORKERS < 0:
    raise ImproperlyConfigured("RELAZIONE_PDF_WORKERS must be 0 (automatic) or a number of processes.")

# Speed-ups that lean on libraries' internals (perfplan/internals.py lists them): `false` chooses their public-API
# fallbacks, slower but safe across upgrades. CI runs the whole suite once each way.
PERFPLAN_PRIVATE_APIS = env_bool("PERFPLAN_PRIVATE_APIS", True)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# --- HTTPS --------------------------------------------------------------------------------------------------------
# Production runs behind HTTPS: cookies only over HTTPS, HTTP redirected, HSTS for a year. An intranet served over
# plain HTTP says so explicitly with PERFPLAN_HTTPS=false: then none of these, and `check` warns (perfplan.W001)
# instead of Django's four HTTPS warnings (perfplan/checks.py). In development (DEBUG on) the default is off.
PERFPLAN_HTTPS = env_bool("PERFPLAN_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = PERFPLAN_HTTPS
SESSION_COOKIE_SECURE = PERFPLAN_HTTPS
CSRF_COOKIE_SECURE = PERFPLAN_HTTPS
# HSTS: browsers refuse plain HTTP to this host for HSTS_SECONDS. includeSubDomains and preload are what
# `check --deploy` asks for; set them false when other hosts of the domain still serve plain HTTP (check warns).
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600))) if PERFPLAN_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
# Behind a reverse proxy that terminates TLS (nginx, Apache): PROXY_COUNT=1 trusts its X-Forwarded-Proto (so that
# a request that came in over HTTPS is not redirected again) and its X-Forwarded-For (the client's address for the
# login throttle). The proxy must set both headers itself, overwriting what the client sent. 0: no proxy.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
if PROXY_COUNT < 0:
    raise ImproperlyConfigured("PROXY_COUNT must be 0 (no reverse proxy) or the number of proxies in front.")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PROXY_COUNT else None
# Without HTTPS Django's four HTTPS warnings (HSTS, redirect, the two cookies) say the same as perfplan.W001.
SILENCED_SYSTEM_CHECKS = [] if PERFPLAN_HTTPS else ["security.W004", "security.W008", "security.W012", "security.W016"]
# The health check (/salute/) answers over plain HTTP too: monitors and load balancers call the server directly.
SECURE_REDIRECT_EXEMPT = [r"^salute/$"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp 4) ------------------------------------------------------------------------
# Only files from this site: no inline scripts, style elements or style attributes (static/js, static/css),
# no eval (htmx's is off: allowEval in base.html's htmx-config). data: for the small SVG/font images inside
# Bootstrap Italia's CSS. The PDF's <style> (templates/reports/pdf*.html) is read by WeasyPrint, never a browser.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Sessions ------------------------------------------------------------------------------------------------------
# A public office: shared PCs, people who walk away. A session ends 30 minutes after its last request (idle) and 8
# hours after the login whatever happens (absolute), both checked by perfplan.sessions.SessionTimeoutMiddleware from
# two timestamps kept in the session (no write on every request: the last-seen time is refreshed once a minute);
# the cookie also ends with the browser. A stored session expires SESSION_MAX_HOURS after its last write, so a
# forgotten one is removed by `clearsessions` even if the middleware never sees it again.
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("SESSION_MAX_HOURS", "8")) * 3600
if not 0 < SESSION_IDLE_TIMEOUT <= SESSION_ABSOLUTE_TIMEOUT:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES must be positive and at most SESSION_MAX_HOURS.")
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Login throttle (django-axes) ----------------------------------------------------------------------------------
# LOGIN_FAILURE_LIMIT failed logins for one user name, or LOGIN_IP_FAILURE_LIMIT from one address (an office behind
# one NAT address shares it, hence the higher number), lock that user or address out for LOGIN_LOCKOUT_MINUTES
# after the last failure, the right password included. `manage.py axes_reset` (or axes_reset_username USER,
# axes_reset_ip IP) and «Tentativi di accesso» in the admin unlock at once.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("LOGIN_IP_FAILURE_LIMIT", "20"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
if min(LOGIN_FAILURE_LIMIT, LOGIN_IP_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES) < 1:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT, LOGIN_IP_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be >= 1.")
AXES_HANDLER = "perfplan.login_throttle.UserAndAddressHandler"  # the two limits above
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # counted apart: the user name, and the address
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_RESET_ON_SUCCESS = True  # a good login forgets the user's earlier typos
AXES_CLIENT_IP_CALLABLE = "perfplan.login_throttle.client_ip"  # REMOTE_ADDR, or X-Forwarded-For with PROXY_COUNT
AXES_LOCKOUT_CALLABLE = "perfplan.login_throttle.lockout_response"  # the login page, in Italian, with the time
AXES_VERBOSE = False

# --- Health check (/salute/, perfplan/health.py) ----------------------------------------------------------------
# name → a function that returns when that part works and raises when not; the answer is 503 if any raises.
HEALTH_CHECKS = {
    "database": "perfplan.health.check_database",
    "jobs": "jobs.health.check_job_queue",  # a job waiting longer than JOBS_MAX_WAIT_SECONDS: no worker is running
}
if STORAGES["default"]["BACKEND"] != "django.core.files.storage.FileSystemStorage":
    HEALTH_CHECKS["storage"] = "perfplan.health.check_file_storage"  # the bucket answers, with these credentials

# --- Background jobs (jobs/, README «Lavori in background») --------------------------------------------------------
# Django's Tasks API through django-tasks, on its database backend: the queue is a table of the same database, so
# no other service is needed. `manage.py db_worker` runs the jobs (`make run` and `make serve` start it; in
# production deploy/perfplan-worker.service). JOBS_BACKEND=immediate runs each job inside the request that asks
# for it (no worker: for tests and a quick try only).
JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "database").lower()
if JOBS_BACKEND not in {"database", "immediate"}:
    raise ImproperlyConfigured(f"JOBS_BACKEND must be database or immediate, got {JOBS_BACKEND!r}")
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if JOBS_BACKEND == "database"
        else "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}
# The health check fails when the oldest job still waiting was queued longer ago than this and no worker took, finished
# or is on a job meanwhile: the worker is down (a Relazione of 10.000 indicators takes about three minutes, its PIAO
# section 2 two; jobs run one at a time per worker, so a busy worker can keep a job waiting longer).
JOBS_MAX_WAIT_SECONDS = int(os.environ.get("JOBS_MAX_WAIT_SECONDS", "600"))
# A job still «in corso» after this many seconds was abandoned (its worker killed in the middle): the page says so
# and lets it be asked again.
JOBS_ABANDONED_SECONDS = int(os.environ.get("JOBS_ABANDONED_SECONDS", "3600"))
# A downloadable document a job made (a PIAO section, a monitoring report) is kept this many hours, then deleted
# when the next one is asked: long enough to come back for it, short enough that the folder does not grow.
JOBS_DOCUMENT_HOURS = int(os.environ.get("JOBS_DOCUMENT_HOURS", "24"))
# Documents one user may have waiting or being made at once: the worker makes them one at a time, so a limit keeps
# one person's many clicks from holding everyone else's documents (and the import or Relazione behind them).
JOBS_DOCUMENTS_PER_USER = int(os.environ.get("JOBS_DOCUMENTS_PER_USER", "3"))

# --- Logs ---------------------------------------------------------------------------------------------------------
# One record a line: readable text, or with LOG_FORMAT=json one JSON object a line (for a log collector).
# LOG_REQUESTS (on when DEBUG is off) adds one line per request: method, path, status, duration, request id
# (perfplan/request_log.py); gunicorn's own messages use the same format (deploy/gunicorn.conf.py). The server logs
# on stdout (gunicorn.conf.py sets LOG_STREAM=stdout); commands on stderr, their stdout being their output.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, got {LOG_FORMAT!r}")
LOG_STREAM = os.environ.get("LOG_STREAM", "stderr").lower()
if LOG_STREAM not in {"stdout", "stderr"}:
    raise ImproperlyConfigured(f"LOG_STREAM must be stdout or stderr, got {LOG_STREAM!r}")
LOG_REQUESTS = env_bool("LOG_REQUESTS", not DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "perfplan.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"()": "perfplan.logs.TextFormatter"},
        "json": {"()": "perfplan.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": f"ext://sys.{LOG_STREAM}",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"perfplan.request": {"level": "INFO" if LOG_REQUESTS else "WARNING"}},
}
