"""Page chrome in plain text: menus, bylines and footers go in every language; article text stays."""

import pytest

from conftest import SHARED
from corpus.clean import CleanConfig, Cleaner
from corpus.clean.chrome import chrome_lines, has_words, stoplist_for, strip_chrome, word_count
from corpus.document import Document
from corpus.errors import ConfigError
from corpus.pipeline import pipeline_from_dict

# Per language: the site's chrome above the article, the article's paragraphs, the chrome below.
PAGES = {
    "en": (["Home", "World", "Politics", "Business", "Sport", "Subscribe"],
           ["Hundreds of firearms officers handed in their permits on Sunday after a colleague was charged.",
            "The force said it had asked the army for help while it looked for officers to cover the shifts.",
            "A spokesman said the situation was being reviewed and that patrols would continue as normal."],
           ["Most read", "Officers return to armed duty", "Contact us", "Terms of use", "© 2023 The Daily Ledger"]),
    "de": (["Startseite", "Politik", "Wirtschaft", "Kultur", "Sport"],
           ["Die Polizei hat am Sonntag mitgeteilt, dass mehrere hundert Beamte ihre Waffen abgegeben haben.",
            "Der Innenminister sagte, man werde die Lage in den kommenden Tagen genau prüfen und dann entscheiden.",
            "Nach Angaben der Gewerkschaft ist die Stimmung unter den Beamten seit Wochen sehr angespannt."],
           ["Mehr zum Thema", "Impressum", "Datenschutz", "Kontakt"]),
    "es": (["Portada", "Internacional", "Economía", "Deportes", "Opinión"],
           ["La policía anunció el domingo que cientos de agentes habían entregado sus armas de servicio.",
            "El ministro del Interior dijo que la situación se revisará durante los próximos días con los sindicatos.",
            "Según el sindicato, el malestar entre los agentes es muy grande desde hace varias semanas."],
           ["Lo más leído", "Aviso legal", "Política de privacidad", "Contacto"]),
    "fr": (["Accueil", "International", "Économie", "Culture", "Sports"],
           ["La police a annoncé dimanche que plusieurs centaines d'agents avaient rendu leurs armes de service.",
            "Le ministre de l'Intérieur a déclaré que la situation serait examinée dans les prochains jours.",
            "Selon le syndicat, le malaise parmi les agents est très fort depuis plusieurs semaines déjà."],
           ["Les plus lus", "Mentions légales", "Politique de confidentialité", "Nous contacter"]),
    "ru": (["Главная", "Политика", "Экономика", "Спорт", "Культура"],
           ["В воскресенье полиция сообщила, что несколько сотен сотрудников сдали своё служебное оружие.",
            "Министр внутренних дел заявил, что ситуация будет рассмотрена в ближайшие дни вместе с профсоюзом.",
            "По словам представителей профсоюза, недовольство среди сотрудников растёт уже несколько недель."],
           ["Читайте также", "Контакты", "Политика конфиденциальности", "Реклама"]),
    "tr": (["Anasayfa", "Gündem", "Ekonomi", "Spor", "Dünya"],
           ["Polis pazar günü yaptığı açıklamada yüzlerce memurun silahlarını teslim ettiğini bildirdi.",
            "İçişleri bakanı durumun önümüzdeki günlerde sendikalarla birlikte ele alınacağını söyledi.",
            "Sendikaya göre memurlar arasındaki huzursuzluk birkaç haftadır giderek artıyor ve bu çok ciddi."],
           ["Çok okunanlar", "Künye", "Gizlilik politikası", "İletişim"]),
    "pl": (["Strona główna", "Kraj", "Świat", "Gospodarka", "Sport"],
           ["Policja poinformowała w niedzielę, że kilkuset funkcjonariuszy oddało swoją broń służbową.",
            "Minister spraw wewnętrznych powiedział, że sytuacja zostanie omówiona w najbliższych dniach.",
            "Według związku zawodowego niezadowolenie wśród funkcjonariuszy narasta od kilku tygodni i jest duże."],
           ["Najczęściej czytane", "Regulamin", "Polityka prywatności", "Kontakt"]),
    "ar": (["الرئيسية", "سياسة", "اقتصاد", "رياضة", "ثقافة"],
           ["أعلنت الشرطة يوم الأحد أن مئات من الضباط قد سلموا أسلحتهم الرسمية بعد توجيه اتهام إلى زميل لهم.",
            "وقال وزير الداخلية إن الوضع سيتم بحثه في الأيام المقبلة مع النقابات وممثلي الضباط في العاصمة.",
            "وبحسب النقابة فإن الاستياء بين الضباط يتزايد منذ عدة أسابيع وهو أمر خطير على الأمن في المدينة."],
           ["الأكثر قراءة", "اتصل بنا", "سياسة الخصوصية", "من نحن"]),
    "zh": (["首页", "国内", "国际", "财经", "体育"],
           ["警方周日表示，数百名警员已经交出了配枪，原因是一名同事被控谋杀。",
            "内政部长说，将在未来几天与工会一起研究这一情况，并尽快作出决定。",
            "据工会介绍，警员们的不满情绪已经持续了好几个星期，而且还在不断加剧。"],
           ["热门文章", "关于我们", "隐私政策", "联系我们"]),
}


def page(head, body, tail):
    return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n\n" + "\n".join(tail)


@pytest.mark.parametrize("lang", sorted(PAGES))
def test_menus_and_footers_go_and_every_paragraph_stays(lang):
    head, body, tail = PAGES[lang]
    stripped = strip_chrome(page(head, body, tail))
    assert stripped.text == "\n\n".join(body)
    assert [(r.rule, r.line) for r in stripped.removed] == [("chrome", line) for line in head + tail]


def test_the_stop_list_is_the_documents_language():
    assert "und" in stoplist_for(" ".join(PAGES["de"][1]))
    assert "que" in stoplist_for(" ".join(PAGES["es"][1]))
    assert stoplist_for(" ".join(PAGES["zh"][1])) == frozenset()  # no list for Chinese: length and punctuation


def test_a_menu_between_paragraphs_goes_but_a_list_in_the_article_stays():
    head, body, tail = PAGES["en"]
    menu = ["World", "UK", "Politics", "Business", "Technology", "Science"]
    facts = ["England: 10th appearance", "Wales: second appearance", "Scotland: 12th appearance"]
    text = "\n\n".join([body[0], "\n".join(menu), body[1], "\n".join(facts), body[2]])
    stripped = strip_chrome(text)
    assert stripped.text == "\n\n".join([body[0], body[1], "\n".join(facts), body[2]])
    assert [r.line for r in stripped.removed] == menu


KEEPS = [
    # A short quote, a one-line paragraph, a section heading, a short final line.
    "The officers met on Sunday to decide what to do about the charge.\n\n“No,” he said.\n\n"
    "What happens next\n\nThe force will review the case with the union this week.\n\nHe left.",
    # A title above the first paragraph.
    "Officers hand in guns after murder charge\n\nHundreds of officers handed in their permits on Sunday.",
    # A short article: two sentences.
    "Police are investigating a fire in Peckham.\n\nNobody was hurt, the fire brigade said.",
    # No prose at all: a list, or a short item. Nothing tells the chrome from it.
    "Eggs\nFlour\nMilk\nSugar\nButter",
    "Road closed",
]


@pytest.mark.parametrize("text", KEEPS)
def test_prose_that_looks_like_chrome_stays(text):
    stripped = strip_chrome(text)
    assert (stripped.text, stripped.removed) == (text, [])


def test_stripping_twice_changes_nothing():
    text = strip_chrome(page(*PAGES["fr"])).text
    assert strip_chrome(text).text == text and strip_chrome(text).removed == []


def test_the_cleaner_strips_page_text_only_when_asked_and_never_extracted_html():
    head, body, tail = PAGES["en"]
    doc = Document(id="p", text=page(head, body, tail))
    by_rules = Cleaner().clean(doc)  # off by default: the built-in rules leave some of the chrome
    left = [line for line in by_rules.text.split("\n") if line and line not in body]
    assert left == ["Officers return to armed duty", "Contact us", "Terms of use"]
    cleaned = Cleaner(CleanConfig(page_chrome=True)).clean(doc)
    assert cleaned.text == "\n\n".join(body)
    assert [r.line for r in cleaned.removed if r.rule == "chrome"] == left
    html = "<html><body><nav><p>Home</p><p>World</p></nav><article>" + "".join(f"<p>{p}</p>" for p in body) + \
           "</article></body></html>"
    extracted = Cleaner(CleanConfig(page_chrome=True)).clean(Document(id="h", text=html, metadata={"format": "html"}))
    assert not any(r.rule == "chrome" for r in extracted.removed)


@pytest.mark.parametrize("lang", ["en", "de", "zh"])
def test_cleaning_page_text_twice_changes_nothing(lang):
    """Chrome gone, the rules for the first and last lines see new lines: the cleaner repeats both until stable."""
    cleaner = Cleaner(CleanConfig(page_chrome=True))
    head, body, tail = PAGES[lang]
    once = cleaner.clean(Document(id="p", text=page(["12 March 2023", *head], body, tail + ["Share on Facebook"])))
    twice = cleaner.clean(Document(id="p", text=once.text))
    assert (twice.text, twice.removed) == (once.text, [])


def test_page_chrome_is_a_pipeline_switch():
    assert pipeline_from_dict({"clean": {"page_chrome": True}}).clean.page_chrome is True
    assert pipeline_from_dict({}).to_json()["clean"]["page_chrome"] is False
    with pytest.raises(ConfigError, match="'clean.page_chrome' must be a bool"):
        pipeline_from_dict({"clean": {"page_chrome": "yes"}}, "p.toml")


@pytest.mark.skipif(not (SHARED / "bench-data" / "aeb").is_dir(), reason="no real pages at ../shared/bench-data/aeb")
def test_no_sentence_of_a_real_article_is_removed():
    from bench.chrome import BodyIndex, pages

    removed_sentences = []
    for found in pages()[:80]:
        index = BodyIndex(found.body)
        lines = found.text.split("\n")
        for line, gone in zip(lines, chrome_lines(lines)):
            if gone and len(line.split()) >= 6 and line.rstrip().endswith((".", "!", "?")) and index.is_article(line):
                removed_sentences.append(line)
    assert removed_sentences == []


@pytest.mark.skipif(not (SHARED / "bench-data" / "aeb").is_dir(), reason="no real pages at ../shared/bench-data/aeb")
def test_cleaning_real_page_text_twice_changes_nothing():
    from bench.chrome import pages

    cleaner = Cleaner(CleanConfig(page_chrome=True))
    for found in pages()[:60]:
        once = cleaner.clean(Document(id=found.name, text=found.text))
        assert cleaner.clean(Document(id=found.name, text=once.text)).text == once.text, found.name


def test_has_words_says_what_word_count_would():
    """``has_words(line, n)`` stops at the n-th word, and agrees with ``word_count(line) >= n`` on lines of
    words, marks, digits, underscores, and scripts written without spaces (whose measure is characters / 2)."""
    import random

    rng = random.Random(3)
    pieces = ["a", "bb", "é", "_", "1", " ", "  ", "-", "’", ".", "\t", "警", "方", "ก", "あ"]
    for _ in range(20000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        for n in (1, 2, 5, 10):
            assert has_words(line, n) == (word_count(line) >= n), (line, n)
