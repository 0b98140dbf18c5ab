import pytest

from workers.language import LanguageStage
from workers.language.scripts import dominant_script


@pytest.fixture(scope="module")
def stage() -> LanguageStage:
    return LanguageStage()


def run(stage: LanguageStage, **article) -> dict:
    record = dict(article)
    stage(record)
    return record["language"]


@pytest.mark.parametrize(
    ("text", "code", "script"),
    [
        ("يواصل الجيش العربي السوري تقدمه باتجاه مدينة دير الزور بدعم من سلاح الجو الروسي", "ar", "Arab"),
        ("The Russian defence ministry said the army was advancing towards the city.", "en", "Latn"),
        ("Le ministère russe de la Défense a déclaré que l'armée progressait vers la ville.", "fr", "Latn"),
        ("Министерство обороны России заявило, что армия продвигается к городу.", "ru", "Cyrl"),
        ("وزارت دفاع روسیه اعلام کرد که ارتش به سمت شهر در حال پیشروی است.", "fa", "Arab"),
    ],
)
def test_detects_news_sentences(stage, text, code, script):
    language = run(stage, text=text)
    assert (language["code"], language["script"]) == (code, script)
    assert language["confidence"] > 0.5


@pytest.mark.parametrize("text", ["", "   ", "12345 678", "https://example.com/a/b?c=1", "🙂🙂🔥", "ـــ"])
def test_no_letters_is_undetermined_not_a_guess(stage, text):
    language = run(stage, text=text)
    assert language["code"] == "und"
    assert language["confidence"] == 0.0


def test_egyptian_arabic_folds_into_ar(stage):
    language = run(stage, text="انا مش عارف ازاي الحكاية دي حصلت بس الناس كلها بتتكلم عليها")
    assert language["code"] == "ar"


def test_hint_is_recorded_and_a_confident_conflict_flagged(stage):
    arabic = "يواصل الجيش العربي السوري تقدمه باتجاه مدينة دير الزور بدعم من سلاح الجو الروسي"
    agreeing = run(stage, text=arabic, language="ar-SY")
    assert agreeing["hint"] == "ar-SY" and agreeing["hint_conflict"] is False
    conflicting = run(stage, text=arabic, language="en")
    assert conflicting["code"] == "ar" and conflicting["hint_conflict"] is True


def test_title_language_reported_when_it_differs(stage):
    language = run(
        stage,
        title="Russian army advances towards Deir ez-Zor, ministry says",
        text="يواصل الجيش العربي السوري تقدمه باتجاه مدينة دير الزور بدعم من سلاح الجو الروسي",
    )
    assert language["code"] == "ar" and language["title_code"] == "en"


def test_dominant_script_ignores_arabic_digits_and_tatweel():
    assert dominant_script("١٢٣ ـــ abc") == "Latn"
    assert dominant_script("123 !?") == "Zyyy"
