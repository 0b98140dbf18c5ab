"""WikiFANE Gold sentences (as distributed: clitic-split, fine classes) become ANERcorp-style news
text: classes mapped the way ANERcorp tags news, clitics joined back as news writes them."""

from workers.entities.wikifane import CLASSES, complete, news_like, split


def wikifane(text: str) -> list[tuple[str, str]]:
    return [tuple(pair.rsplit("/", 1)) for pair in text.split()]


def tagged(sentence: list[tuple[str, str]]) -> str:
    return " ".join(w if t == "O" else f"{w}/{t}" for w, t in sentence)


def test_clitics_are_joined_and_places_are_loc():
    sentence = wikifane(
        "جمهورية/B-Nation جنوب/I-Nation السودان/I-Nation ،/O هي/O دولة/O تقع/O في/O شرق/O "
        "افريقيا/B-Continent ،/O و/O تعتبر/O مدينة/O جوبا/B-Population-Center عاصمة/O ها/O و/O اكبر/O "
        "مدن/O ها/O ،/O و/O من/O "
        "اكبر/O مدن/O ها/O هي/O واو/B-Population-Center و/O ملكال/B-Population-Center ./O"
    )
    assert tagged(news_like([sentence])[0]) == (
        "جمهورية/B-LOC جنوب/I-LOC السودان/I-LOC ، هي دولة تقع في شرق افريقيا/B-LOC ، وتعتبر مدينة "
        "جوبا/B-LOC عاصمتها واكبر مدنها ، ومن اكبر مدنها هي واو/B-LOC وملكال/B-LOC ."
    )
    sentence = wikifane("بعد/O انهاء/O اسبانيا/B-Nation دعم/O ها/O ل/O المشروع/O عام/O 1960/O ./O")
    assert tagged(news_like([sentence])[0]) == "بعد انهاء اسبانيا/B-LOC دعمها للمشروع عام 1960 ."


def test_anercorp_conventions_for_organisations():
    team = wikifane(
        "منتخب/B-Sports المانيا/I-Sports لكرة/I-Sports القدم/I-Sports للسيدات/I-Sports هو/O المنتخب/O "
        "النسائي/O الذي/O يحتل/O المرتبة/O الاولى/O في/O تصنيف/O الفيفا/B-Sports ./O"
    )
    assert tagged(news_like([team])[0]) == (
        "منتخب المانيا/B-LOC لكرة القدم للسيدات هو المنتخب النسائي الذي يحتل المرتبة الاولى في تصنيف "
        "الفيفا/B-ORG ."
    )
    ministry = wikifane(
        "اصبح/O ظابط/O في/O وزارة/B-Government الشؤون/I-Government الخارجية/I-Government "
        "السعودية/I-Government ./O"
    )
    assert tagged(news_like([ministry])[0]) == "اصبح ظابط في وزارة الشؤون الخارجية السعودية ."
    company = wikifane(
        "مشابهة/O ل/O شركة/B-Commercial ماكدونالدز/I-Commercial الشهيرة/O و/O الفرنسيين/B-Group ./O"
    )
    assert tagged(news_like([company])[0]) == "مشابهة لشركة ماكدونالدز/B-ORG الشهيرة والفرنسيين ."


def test_every_class_is_mapped_and_the_held_out_runs_are_set_aside():
    assert len(CLASSES) == 51 and set(CLASSES.values()) == {"PERS", "LOC", "ORG", "MISC", "O"}
    sentences = [[(str(i), "O")] for i in range(1000)]
    train, held_out = split(sentences)
    assert len(held_out) == 100 and held_out[0] == [("450", "O")] and held_out[50] == [("950", "O")]
    assert not {s[0][0] for s in train} & {s[0][0] for s in held_out}


def test_sentences_with_names_wikifane_left_untagged_are_dropped():
    # WikiFANE tags the first Egypt and not the second; the Quran (a MISC in ANERcorp) has no tag
    untagged = news_like([wikifane("زار/O مصر/B-Nation ثم/O عاد/O الى/O مصر/O ./O")])[0]
    tagged_all = news_like([wikifane("زار/O مصر/B-Nation ثم/O عاد/O الى/O لبنان/B-Nation ./O")])[0]
    anercorp_like = {"مصر": "B-LOC", "لبنان": "B-LOC"}

    def tag(words):
        return [anercorp_like.get(w, "O") for w in words]

    assert complete([untagged, tagged_all], tag) == [tagged_all]
