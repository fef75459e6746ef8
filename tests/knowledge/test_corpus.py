import re

from knowledge.corpus import load_articles
from knowledge.topics import ROADMAP

SLUGS = {
    "vanishing-gradient", "batch-normalization", "relu", "internal-covariate-shift",
    "logistic-regression", "feature-scaling", "precision-recall", "focal-loss",
    "image-processing", "hyperparameter-tuning", "word2vec-vs-bert",
}


def test_every_curriculum_topic_has_one_article():
    assert {a.slug for a in load_articles()} == SLUGS


def test_roadmap_articles_come_first_in_order():
    articles = load_articles()
    assert tuple(a.slug for a in articles[:4]) == ROADMAP
    assert [a.order for a in articles] == sorted(a.order for a in articles)


def test_articles_meet_the_writing_guide():
    slugs = {a.slug for a in load_articles()}
    for article in load_articles():
        words = len(article.body.split())
        assert words >= 900, (article.slug, words)
        headings = re.findall(r"^## (.+)$", article.body, re.MULTILINE)
        assert len(headings) >= 4, article.slug
        assert any("misconception" in h.lower() for h in headings), article.slug
        assert any(h.lower().startswith("try it") for h in headings), article.slug
        assert article.tools, article.slug
        assert set(article.prereqs) <= slugs, article.slug
        assert re.search(r"\d+\.\d+", article.body), f"{article.slug} has no worked numbers"
