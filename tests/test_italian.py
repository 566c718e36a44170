"""Italian everywhere (issue 15, item 6): the admin's headings and strings, plural forms that agree with their
number, Bootstrap Italia's fonts from the bundled files, the favicon."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse

from consuntivi.views import accepted_message, saved_message, sent_message
from perfplan.admin_base import permission_label
from tests.factories import make_user, sheets, workbook_bytes
from workbook.reader import more_errors, read_plan_workbook

ROOT = Path(__file__).resolve().parent.parent
FONTS_CSS = ROOT / "static" / "css" / "fonts.css"


def test_the_language_is_italian_and_the_locale_middleware_is_on():
    assert settings.LANGUAGE_CODE == "it" and settings.USE_I18N
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


@pytest.mark.parametrize(
    "app, label",
    [
        ("plans", "Piani e organizzazione"),
        ("indicators", "Indicatori e target"),
        ("consuntivi", "Consuntivi"),
        ("reports", "Relazioni sulla performance"),
    ],
)
def test_every_app_has_an_italian_name(app, label):
    assert apps.get_app_config(app).verbose_name == label


def test_perfplan_keeps_its_own_app_config_beside_the_packages_italian_ones():
    # Its ready() registers the system checks and the login stamp: lost if Django picked the base AppConfig.
    from perfplan.apps import PerfplanConfig

    assert type(apps.get_app_config("perfplan")) is PerfplanConfig
    assert apps.get_app_config("axes").verbose_name == "Blocco degli accessi"


@pytest.mark.django_db
def test_the_admin_speaks_italian(client):
    superuser = make_user("radice", None, None)
    superuser.is_superuser = superuser.is_staff = True
    superuser.save()
    client.force_login(superuser)
    index = client.get("/admin/").content.decode()
    assert "Piani e organizzazione" in index and "Relazioni sulla performance" in index
    assert ">Indicators<" not in index and ">Plans<" not in index and ">Reports<" not in index
    # The packages' sections too (perfplan.package_apps, locale/it): the login throttle and the job queue.
    sections = ("Blocco degli accessi", "Tentativi di accesso", "Coda dei lavori in background", "Risultati dei lavori")
    for italian in sections:
        assert italian in index, italian
    assert "Access attempts" not in index and "Task Results" not in index and "Tasks Database" not in index
    assert "Model name" not in index and "Nome del modello" in index  # the sidebar's table headers, read aloud
    attempts = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "Per Bloccato" in attempts and "Locked Out" not in attempts
    # The filter widget's «Choose gruppi»: strings Django 5.2's Italian catalogue leaves empty, from locale/it.
    catalogue = client.get("/admin/jsi18n/").content.decode()
    assert '"Choose all %s": "Scegli tutti: %s"' in catalogue and '"Choose a Date": "Scegli una data"' in catalogue
    page = client.get(reverse("admin:auth_user_change", args=[superuser.pk])).content.decode()
    assert "Modifica utente" in page and '<html lang="it"' in page
    assert "Can add" not in page and "Può aggiungere baseline" in page
    group_page = client.get(reverse("admin:auth_group_add")).content.decode()
    assert "Can add" not in group_page and "Può modificare piano" in group_page


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_compiled_catalogues_hold_every_string_of_their_sources(domain):
    folder = ROOT / "locale" / "it" / "LC_MESSAGES"
    with open(folder / f"{domain}.mo", "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    source = (folder / f"{domain}.po").read_text()
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', source, re.MULTILINE)
    assert len(pairs) >= 6
    for msgid, msgstr in pairs:
        msgid, msgstr = (text.replace('\\"', '"') for text in (msgid, msgstr))
        assert catalogue.gettext(msgid) == msgstr, msgid


@pytest.mark.django_db
def test_a_permission_reads_in_italian():
    permission = Permission.objects.get(codename="add_baseline")
    assert permission_label(permission) == "Indicatori e target | baseline | Può aggiungere baseline"


# --- plural forms --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "objectives, indicators, text",
    [(1, 1, "1 obiettivo · 1 indicatore"), (2, 2, "2 obiettivi · 2 indicatori"), (1, 0, "1 obiettivo · 0 indicatori")],
)
def test_the_plan_counts_agree_with_their_number(objectives, indicators, text):
    html = render_to_string("plans/_counts.html", {"objectives": objectives, "indicators": indicators})
    assert text in html


def test_the_messages_of_the_consuntivi_agree_with_their_number():
    assert saved_message(1) == "Salvato 1 valore in bozza."
    assert saved_message(2) == "Salvati 2 valori in bozza."
    assert sent_message(1) == "Inviato 1 valore all'ufficio pianificazione."
    assert sent_message(3) == "Inviati 3 valori all'ufficio pianificazione."
    assert accepted_message(1, "U1") == "Accettato 1 valore dell'unità U1."
    assert accepted_message(2, "U1") == "Accettati 2 valori dell'unità U1."


@pytest.mark.parametrize("siblings, text", [(1, "L'altro nodo fratello pesa"), (2, "Gli altri 2 nodi fratelli pesano")])
def test_the_sibling_weights_line_agrees(siblings, text):
    source = (ROOT / "templates" / "plans" / "objective_form.html").read_text()
    line = re.search(r"\{% if siblings %\}.*?È l'unico nodo a questo livello\.\{% endif %\}", source).group(0)
    html = Template("{% load perfplan_format %}" + line).render(Context({"siblings": siblings, "others_weight": 40}))
    assert text in html and "1 nodi" not in html


def test_no_template_or_message_keeps_the_known_slips():
    slips = ("dei obiettivi", "dei indicatori", "I pesi dei {label")
    # «non salvato: Il raggiungimento…» glued a sentence after a colon; «1 valore non salvato: correggere…» is fine.
    glued = re.compile(r"non salvato: [A-Z{]")
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/*.py")]:
        if path.parent.name == "tests":
            continue
        text = path.read_text()
        for slip in slips:
            assert slip not in text, f"{path}: {slip}"
        assert not glued.search(text), f"{path}: {glued.search(text).group(0)}"


def test_the_workbook_weight_warning_uses_the_right_article():
    content = sheets()
    content["Obiettivi"][3][4] = 60  # 1011.01 weighs 60 alone under 101
    report = read_plan_workbook(workbook_bytes(content), max_bytes=10_000_000)
    messages = " ".join(w.message for w in report.warnings)
    assert "I pesi degli obiettivi figli di «101» sommano a 60" in messages


# --- fonts and icon ------------------------------------------------------------------------------------------------


def test_every_font_face_points_to_a_bundled_file():
    css = FONTS_CSS.read_text()
    urls = re.findall(r'url\("([^"]+)"\)', css)
    assert len(urls) >= 16 and any("Titillium_Web" in url for url in urls)
    for url in urls:
        assert (FONTS_CSS.parent / url).resolve().is_file(), url
    assert 'font-family: "Titillium Web"' in css


def test_the_pages_load_the_fonts_and_the_icon():
    for template in ("base.html", "500.html", "plans/print.html"):
        source = (ROOT / "templates" / template).read_text()
        assert "css/fonts.css" in source and "favicon.svg" in source, template
    assert (ROOT / "static" / "favicon.svg").is_file()


def test_the_count_of_errors_left_out_agrees():
    assert more_errors(1) == "… e un altro errore."
    assert more_errors(2800) == "… e altri 2.800 errori."
