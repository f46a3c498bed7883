"""genrelab.plots: one style, palettes from the data, and every figure showing what it claims."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import seaborn as sns  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from genrelab import plots, schema, tables
from genrelab.audio import compare
from genrelab.explore import taste
from genrelab.mixture.bic import bic_grid
from genrelab.mixture.em import GaussianMixtureEM
from genrelab.runs import Run


@pytest.fixture(autouse=True)
def _close_figures():
    plots.use_style()
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def snapshot() -> pd.DataFrame:
    return tables.load_tracks(invalid="drop")


@pytest.fixture(scope="module")
def public(snapshot) -> pd.DataFrame:
    return tables.dedup(snapshot)[0]


def _blobs(seed: int, n: int = 300, d: int = 3, k: int = 3, spread: float = 6.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, spread, (k, d))
    sizes = rng.multinomial(n, np.full(k, 1 / k))
    return np.vstack([c + rng.normal(size=(m, d)) for c, m in zip(centers, sizes)])


# --- the style ------------------------------------------------------------------------------------
def test_genre_palette_comes_from_the_labels_present():
    colors = plots.genre_palette(["rock", "pop", "rock", "edm"])
    assert list(colors) == ["edm", "pop", "rock"]
    assert colors == plots.genre_palette(["pop", "edm", "rock"])  # order of appearance is moot
    foreign = plots.genre_palette(["metal", "country", "dubstep", "deep-house"])
    assert list(foreign) == ["country", "deep-house", "dubstep", "metal"]
    many = plots.genre_palette([f"g{i:02d}" for i in range(14)])
    assert len(set(many.values())) == 14  # beyond the 10 colour-blind colours: distinct hues


def test_the_snapshot_genres_keep_their_colours(snapshot):
    colors = plots.genre_palette(snapshot[schema.LABEL])
    assert list(colors) == ["edm", "latin", "pop", "r&b", "rap", "rock"]
    assert list(colors.values()) == sns.color_palette("colorblind", 6)


def test_grid_hides_the_unused_cells():
    fig, axes = plots.grid(5, ncols=3, panel=(2.0, 1.5))
    assert len(axes) == 5 and len(fig.axes) == 6
    assert [ax.get_visible() for ax in fig.axes] == [True] * 5 + [False]
    assert tuple(fig.get_size_inches()) == pytest.approx((6.0, 3.0))
    with pytest.raises(ValueError, match="at least one panel"):
        plots.grid(0)


def test_save_fig_writes_the_png_and_marks_featured(tmp_project_dirs):
    run = Run("figs")
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1])
    assert plots.save_fig(fig, "01_line", run, featured=True) is None  # a cell prints nothing
    saved = run.figures_dir / "01_line.png"
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig.number)  # closed
    assert [p.name for p in run.featured_figures()] == ["01_line.png"]


# --- exploration ----------------------------------------------------------------------------------
def test_exploration_figures(public):
    sample = public.sample(1500, random_state=0)
    features = schema.AUDIO_FEATURES
    fig = plots.eda.feature_densities(sample, features)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [
        "duration (min)" if f == "duration_ms" else f for f in features
    ]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == sorted(sample["genre"].unique())

    ax = plots.eda.tempo_by_genre(sample).axes[0]
    medians = sample.groupby("genre")["tempo"].median().sort_values()
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == list(medians.index)

    ax = plots.eda.correlation_heatmap(sample, schema.CONTINUOUS_FEATURES).axes[0]
    n = len(schema.CONTINUOUS_FEATURES) - 1
    assert len(ax.texts) == n * (n + 1) // 2  # the lower triangle with its diagonal

    ax = plots.eda.subgenre_counts(sample).axes[0]
    assert len(ax.patches) == sample[["genre", "playlist_subgenre"]].drop_duplicates().shape[0]


def test_exploration_titles_name_genres_only_when_there_are_several(public):
    sample = public.sample(800, random_state=1)
    assert plots.eda.feature_densities(sample, ["tempo"])._suptitle.get_text() == (
        "Audio features by genre"
    )
    unlabelled = tables.one_label(sample)  # what an unlabelled table is drawn as
    fig = plots.eda.feature_densities(unlabelled, ["tempo"])
    assert fig._suptitle.get_text() == "Audio features"
    assert plots.eda.tempo_by_genre(unlabelled).axes[0].get_title() == "Tempo"


def test_medians_heatmap_on_foreign_genres():
    z = pd.DataFrame([[1.0, -0.5], [-1.0, 0.5]], index=["metal", "country"], columns=["a", "b"])
    ax = plots.eda.genre_medians_heatmap(z).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["metal", "country"]


# --- classification -------------------------------------------------------------------------------
def test_classification_figures():
    counts = pd.DataFrame([[8, 2], [1, 9]], index=["pop", "rock"], columns=["pop", "rock"])
    ax = plots.classification.confusion_heatmap(counts, "audio").axes[0]
    assert [t.get_text() for t in ax.texts] == ["80%\n8", "20%\n2", "10%\n1", "90%\n9"]
    assert (ax.get_xlabel(), ax.get_title()) == ("predicted", "audio")

    table = pd.DataFrame(
        {
            "kind": ["honest", "leaky", "baseline"],
            "accuracy": [0.55, 0.63, 0.17],
            "ci_low": [0.53, np.nan, np.nan],
            "ci_high": [0.57, np.nan, np.nan],
        },
        index=["honest · audio", "leaky · audio", "baseline · random"],
    )
    ax = plots.classification.accuracy_comparison(table).axes[0]
    assert [t.get_text() for t in ax.texts] == ["17.0%", "63.0%", "55.0%"]  # bottom to top
    assert len(ax.patches) == 3

    permutation = pd.DataFrame({"mean": [0.1, 0.05], "std": [0.01, 0.01]}, index=["tempo", "mode"])
    fig = plots.classification.importances(pd.Series({"tempo": 0.7, "mode": 0.3}), permutation)
    assert [ax.get_title() for ax in fig.axes] == [
        "impurity (random forest)",
        "permutation (best model, test set)",
    ]

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"tempo": rng.uniform(60, 180, 200), "energy": rng.uniform(0, 1, 200)})
    y = np.where(X["tempo"] > 120, "edm", "pop")
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    ax = plots.classification.decision_tree(tree, X.columns, tree.classes_).axes[0]
    assert "tempo" in ax.texts[0].get_text() and "(edm, pop)" in ax.get_title()


# --- mixtures -------------------------------------------------------------------------------------
def test_mixture_figures_show_what_they_claim():
    X = _blobs(9)
    gmm = GaussianMixtureEM(3, random_state=0).fit(X)
    labels = gmm.predict(X)
    two = GaussianMixtureEM(2, covariance_type="diag", random_state=0).fit(X[:, :2])
    fig = plots.mixtures.clusters_2d(
        X[:, :2],
        two.predict(X[:, :2]),
        two,
        ["acousticness", "energy"],
        point=[0.0, 0.5],
        max_points=100,
    )
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("acousticness", "energy")
    assert len(ax.patches) == 4  # 1- and 2-sd ellipses of both components
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == "test song"
    assert "100 of 300 points" in ax.get_title()

    grid = bic_grid(X, [1, 2, 3, 4], ["full", "spherical"], random_state=0)
    ax = plots.mixtures.bic_curves(grid).axes[0]
    assert "lowest BIC: k=3" in [t.get_text() for t in ax.get_legend().get_texts()][-1]

    genres = np.array(["rap", "rock", "pop"])[labels]
    ax = plots.mixtures.cluster_genres(labels, genres).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["pop", "rap", "rock"]  # sorted
    assert sorted(float(t.get_text()) for t in ax.texts)[-3:] == [100.0] * 3  # clusters = genres

    ax = plots.mixtures.pca_clusters(X, labels, means=gmm.means_).axes[0]
    assert ax.get_xlabel().startswith("PC1 (") and len(ax.texts) == 3

    ax = plots.mixtures.cluster_profiles(gmm.means_, ["a", "b", "c"], weights=gmm.weights_).axes[0]
    assert len(ax.texts) == 9 and ax.get_yticklabels()[0].get_text().startswith("0 (")


# --- audio ----------------------------------------------------------------------------------------
def test_audio_figures():
    table = pd.DataFrame(
        {
            "tempo": [120, 61, 90, 175],
            "ref_tempo": [121, 120, 90, 88],
            "label": ["a", "a", "b", "b"],
        }
    )
    ax = plots.audio.tempo_scatter(table).axes[0]
    assert ax.get_xscale() == "log" and len(ax.collections) >= 2  # band + points
    r2 = pd.DataFrame(
        {
            "target": ["energy", "tempo"],
            "r2": [0.6, -3.2],
            "r2_std": [0.1, 2.0],
            "r2_single": [0.4, 0.8],
            "n": [50, 50],
            "corr_best": [0.7, 0.9],
            "best_feature": ["loudness", "tempo"],
        }
    )
    fig = plots.audio.mimic_bars(r2)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["tempo", "energy"]

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.standard_normal((60, 3)))
    labels = np.repeat(["x", "y"], 30)
    X[0] += np.repeat([0, 8], 30)
    result = compare.cluster_comparison(X[[0, 1]], X, labels, k=2, seed=0)
    fig = plots.audio.cluster_heatmaps(result, label_name="style")
    assert len(fig.axes) == 3 and fig.axes[1].get_ylabel() == "style"
    assert fig.axes[1].get_title().startswith("ARI 1.00")
    without_labels = compare.cluster_comparison(X[[0, 1]], X, k=2, seed=0)
    assert len(plots.audio.cluster_heatmaps(without_labels).axes) == 1


def test_audio_figures_say_what_the_source_lacks():
    table = pd.DataFrame({"tempo": [120.0, 90.0]})
    empty_r2 = pd.DataFrame(columns=["target", "r2", "r2_std", "r2_single", "best_feature"])
    for fig in (
        plots.audio.tempo_scatter(table),
        plots.audio.mimic_bars(empty_r2),
        plots.audio.cluster_heatmaps(None),
    ):
        assert fig.axes[0].texts[0].get_text().startswith("no ")


# --- taste ----------------------------------------------------------------------------------------
def test_taste_figures_have_one_panel_per_feature(snapshot, public):
    me = taste.user_from_snapshot(snapshot, seed=2)
    fig = plots.taste.user_vs_public(me, public)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(taste.FEATURES)
    assert "user median" in [t.get_text() for t in fig.legends[0].get_texts()]
    assert "percentile" not in panels[0].get_title() and "pct" in panels[0].get_title()
    other = taste.user_from_snapshot(snapshot, seed=3)
    fig = plots.taste.two_users(me, other, public, features=["energy", "tempo"], ncols=2)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    assert me.attrs["user"] in [t.get_text() for t in fig.legends[0].get_texts()]


def test_folder_source_without_reference_csv_draws_aubio_clusters_against_labels():
    # issue 26, major 5: no reference features, so one panel: the labels x the aubio clusters
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.standard_normal((60, 3)))
    X[0] += np.repeat([0, 8], 30)
    result = compare.cluster_comparison(None, X, np.repeat(["x", "y"], 30), k=2, seed=0)
    assert result["ref_clusters"] is None and "ari_ref_vs_aubio" not in result
    fig = plots.audio.cluster_heatmaps(result, label_name="folder")
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "folder"
    assert fig.axes[0].get_title().startswith("ARI 1.00")
    assert "aubio features vs the labels (folder)" in fig._suptitle.get_text()


# --- issue 26: labels from the user's table -------------------------------------------------------
def _odd_label_figures(public, labels: dict):
    small = public.groupby("genre", observed=True).head(40).reset_index(drop=True)
    genres = small["genre"].astype(str).replace(labels)
    tracks = small.assign(genre=genres)
    counts = pd.crosstab(genres, genres)
    return [
        plots.eda.subgenre_counts(tracks),  # legend
        plots.eda.tempo_by_genre(tracks),  # tick labels
        plots.mixtures.cluster_genres(np.arange(len(genres)) % 3, genres),  # heatmap columns
        plots.classification.confusion_heatmap(
            counts, title=f"genres: {', '.join(labels.values())}"
        ),
    ]


@pytest.mark.parametrize("styled", [True, False])
def test_labels_with_dollar_signs_are_drawn_as_written(tmp_project_dirs, public, styled):
    """A genre "$money$ rap" was drawn as mathematics, and "cash $\\nope$" stopped savefig."""
    labels = {"pop": "cash $\\nope$", "rap": "$money$ rap"}
    run = Run("dollars")
    with plt.rc_context():
        if not styled:
            plt.rcdefaults()  # a figure drawn without plots.use_style()
        for i, fig in enumerate(_odd_label_figures(public, labels)):
            plots.save_fig(fig, f"02_dollars_{i}", run)
            texts = [t for t in fig.findobj(plt.Text) if "$" in t.get_text()]
            assert texts, i
            assert not any(t._preprocess_math(t.get_text())[1] for t in texts), i
            shown = " ".join(t.get_text() for t in texts)
            assert "$money$ rap" in shown or "cash $\\nope$" in shown


def test_cjk_and_emoji_labels_get_a_font_fallback_or_a_note(
    tmp_project_dirs, public, caplog, monkeypatch
):
    """Fonts that draw CJK / emoji come right after DejaVu Sans when installed; when none is,
    the log says so once."""
    monkeypatch.setattr(plots.style, "_NOTED", [])
    families = plt.rcParams["font.sans-serif"]
    installed = plots.style._installed_fonts()
    first = next(i for i, f in enumerate(families) if f in installed)  # Arial is often missing
    fallbacks = [f for f in plots.style.FALLBACK_FONTS if f in installed]
    assert families[first + 1 : first + 1 + len(fallbacks)] == fallbacks
    run = Run("cjk")
    with caplog.at_level("WARNING", logger="genrelab.plots.style"):
        for i, fig in enumerate(_odd_label_figures(public, {"pop": "東京ポップ", "rap": "rap 🎤"})):
            plots.save_fig(fig, f"02_cjk_{i}", run)
    drawable = plots.style._drawable(tuple(families))
    if all(ord(c) in drawable for c in "東京ポップ🎤"):
        assert "no installed font" not in caplog.text
    else:  # this machine has DejaVu only: one note naming the characters and a font to install
        assert caplog.text.count("no installed font draws") == 1
        assert "東" in caplog.text and "Noto Sans CJK" in caplog.text
