"""toolkit.labels: heuristic features, column mappings, hand-label files, combining and agreement."""

import pandas as pd
import pytest

from toolkit.errors import AnalysisError, DataFormatError, EngagementLabWarning
from toolkit.labels import (FEATURES, WEIGHTS, agreement, append_label, attach_labels, combine_labels,
                            from_column, hand_label_column, label_mask, label_personal,
                            load_hand_labels, vocabulary)
from toolkit.simulate import simulate_profile


def test_heuristic_shows_which_features_fired():
    posts = pd.DataFrame({"post_id": ["1", "2", "3"], "text": [
        "I spent the weekend painting the kitchen with my partner. Have you ever done that?",
        "Our holiday gift boxes are now on sale. https://example.com/gifts",
        "We are open on Monday.",
    ]})
    out = label_personal(posts)
    assert out.loc[0, "features"] == "first_person, personal_life, question_to_audience, no_link"
    assert out.loc[0, "personal_score"] == 2 + 2 + 1 + 1
    assert set(out.loc[0, "matched"].split(", ")) >= {"i", "my", "weekend", "partner", "you"}
    assert out.loc[1, "features"] == "personal_life, brand_vocabulary"  # "holiday" is personal vocabulary
    assert out.loc[1, "personal_score"] == WEIGHTS["personal_life"] + WEIGHTS["brand_vocabulary"]
    assert out.loc[2, "features"] == "no_link" and not out.loc[2, "personal"]
    assert out["personal"].tolist() == [True, False, False]
    assert list(out.columns[-len(FEATURES):]) == list(FEATURES)


def test_heuristic_agrees_with_the_simulators_labels():
    # toolkit.simulate writes personal texts in the first person without links (its docstring)
    posts = simulate_profile(days=90, seed=4).posts
    out = label_personal(posts)
    ag = agreement(out["personal"], posts["content_label"].eq("personal"), names=("heuristic", "truth"))
    assert ag.kappa > 0.8


def test_missing_text_gives_missing_label():
    out = label_personal(pd.DataFrame({"text": pd.array([None, "my day"], dtype="string")}))
    assert out["personal"].isna().tolist() == [True, False]


def test_other_languages_come_from_vocabulary_files(tmp_path):
    pt = label_personal(pd.DataFrame({"text": ["Eu passei o fim de semana com minha família. E você?"]}),
                        language="pt")
    assert pt.loc[0, "personal"] and "fim de semana" in pt.loc[0, "matched"]
    for kind, words in {"first_person": "ich\nmein", "personal": "familie", "audience": "du",
                        "brand": "angebot"}.items():
        (tmp_path / f"{kind}_de.txt").write_text("# comment\n" + words + "\n", encoding="utf-8")
    assert vocabulary("de", tmp_path)["first_person"] == ("ich", "mein")
    de = label_personal(pd.DataFrame({"text": ["Ich liebe meine Familie", "Angebot! https://x.de"]}),
                        language="de", folder=tmp_path)
    assert de["personal"].tolist() == [True, False]
    with pytest.raises(AnalysisError, match="vocabulary"):
        label_personal(pd.DataFrame({"text": ["x"]}), language="xx")


def test_from_column_maps_uci_categories():
    posts = pd.DataFrame({"Category": pd.array([1, 2, 3, None], dtype="Int64"),
                          "label": ["1", "2", "3", None]})
    mapping = {3: True, 1: False, 2: False}  # UCI: 3 = inspiration, 1 = action, 2 = product
    assert from_column(posts, "Category", mapping).tolist() == [False, False, True, pd.NA]
    assert from_column(posts, "label", mapping).tolist() == [False, False, True, pd.NA]
    assert from_column(posts, "label", {3: True}).tolist() == [pd.NA, pd.NA, True, pd.NA]


def test_hand_labels_are_appended_and_the_latest_wins(tmp_path):
    path = tmp_path / "labels" / "hand.csv"
    append_label(path, "10", "personal")
    append_label(path, "11", "skip")
    append_label(path, "10", "not")
    table = load_hand_labels(path)
    assert sorted(table[["post_id", "label"]].values.tolist()) == [["10", "not"], ["11", "skip"]]
    assert path.read_text().splitlines()[0] == "post_id,label,labelled_at"
    posts = pd.DataFrame({"post_id": ["10", "11", "12"]})
    assert hand_label_column(posts, path).tolist() == [False, pd.NA, pd.NA]
    with pytest.raises(AnalysisError):
        append_label(path, "12", "maybe")


def test_a_torn_last_line_is_ignored_but_other_damage_is_an_error(tmp_path):
    path = tmp_path / "hand.csv"
    append_label(path, "1", "personal")
    with open(path, "a") as f:
        f.write("2,perso")  # the kernel died while writing
    with pytest.warns(EngagementLabWarning, match="row 3: cut short"):  # ignored, but said so
        assert load_hand_labels(path)["post_id"].tolist() == ["1"]
    path.write_text("post_id,label,labelled_at\n1,personal,t\n2,??,t\n3,not,t\n")
    with pytest.raises(DataFormatError) as err:
        load_hand_labels(path)
    assert err.value.row == 3
    # a complete last row with a mistyped label was not cut short: an error, not ignored
    path.write_text("post_id,label,labelled_at\n1,personal,t\n2,Personal,2024-01-01T00:00:01+00:00\n")
    with pytest.raises(DataFormatError, match="malformed hand-label row") as err:
        load_hand_labels(path)
    assert err.value.row == 3
    (tmp_path / "bad.csv").write_text("id,value\n")
    with pytest.raises(DataFormatError):
        load_hand_labels(tmp_path / "bad.csv")
    assert load_hand_labels(tmp_path / "missing.csv").empty


def test_combine_labels_takes_sources_in_order(tmp_path):
    posts = pd.DataFrame({"post_id": ["1", "2", "3", "4"],
                          "text": ["My kids!", "Shop now", "My dog", None],
                          "kind": ["promo", "promo", None, None]})
    path = tmp_path / "hand.csv"
    append_label(path, "1", "not")
    out = combine_labels(posts, column="kind", mapping={"promo": False}, heuristic=True, hand=path)
    assert out["personal"].tolist() == [False, False, True, pd.NA]
    assert out["personal_source"].tolist() == ["hand", "column", "heuristic", pd.NA]
    out = combine_labels(posts, heuristic=True, hand=path, order=("heuristic", "hand"))
    assert out.loc[0, "personal_source"] == "heuristic"
    with pytest.raises(AnalysisError):
        combine_labels(posts)


def test_kappa_matches_the_closed_form():
    # table [[20, 5], [10, 15]]: p_o = 35/50, p_e = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = (0.7-0.5)/0.5
    a = pd.Series([True] * 25 + [False] * 25)
    b = pd.Series([True] * 20 + [False] * 5 + [True] * 10 + [False] * 15)
    ag = agreement(a, b)
    assert ag.kappa == pytest.approx(0.4)
    assert ag.confusion.to_numpy().tolist() == [[20, 5], [10, 15]]
    assert ag.se == pytest.approx((0.7 * 0.3 / (50 * 0.25)) ** 0.5)
    assert "kappa = 0.40" in ag.text and "moderate" not in ag.text  # 0.4 is "fair" (Landis-Koch)
    # posts missing in either labelling are left out
    a2 = pd.concat([a, pd.Series([pd.NA, True])], ignore_index=True).astype("boolean")
    b2 = pd.concat([b, pd.Series([True, pd.NA])], ignore_index=True).astype("boolean")
    assert agreement(a2, b2).n == 50
    assert "No post" in agreement(pd.Series([pd.NA], dtype="boolean"), pd.Series([True])).text


@pytest.mark.parametrize("level", [95, 0, "0.95"])
def test_agreement_names_a_level_that_is_not_a_fraction(level):
    # 95 gave a NaN interval, 0 an interval of width 0 and "0.95" a TypeError
    a = pd.Series([True] * 25 + [False] * 25)
    b = pd.Series([True] * 20 + [False] * 5 + [True] * 10 + [False] * 15)
    with pytest.raises(AnalysisError) as err:
        agreement(a, b, level=level)
    assert err.value.parameter == "level"


def test_attach_labels_from_a_file(tmp_path):
    from toolkit.labels import attach_labels

    posts = pd.DataFrame({"post_id": pd.array(["1", "2", "3"], dtype="string"),
                          "content_label": pd.array([None, None, "brand"], dtype="string")})
    path = tmp_path / "tags.csv"
    path.write_text("post_id,content_label\n1,personal\n3,personal\n")
    assert attach_labels(posts, path)["content_label"].tolist() == ["personal", pd.NA, "brand"]
    assert attach_labels(posts, path, overwrite=True)["content_label"].tolist() == ["personal", pd.NA, "personal"]
    assert posts["content_label"].tolist() == [pd.NA, pd.NA, "brand"]  # input untouched
    path.write_text("post_id,content_label\n1,personal\n1,brand\n")
    with pytest.raises(DataFormatError, match="twice"):
        attach_labels(posts, path)
    with pytest.raises(DataFormatError):
        attach_labels(posts, tmp_path / "missing.csv")


def test_a_label_after_a_torn_line_does_not_merge_into_it(tmp_path):
    for torn in ("124", "124,pers"):
        path = tmp_path / f"hand_{len(torn)}.csv"
        append_label(path, "123", "personal")
        with open(path, "a", encoding="utf-8") as f:
            f.write(torn)  # the kernel died while writing this row
        append_label(path, "125", "not")  # the next session labels one more post
        assert path.read_text(encoding="utf-8").splitlines()[2] == torn
        with pytest.warns(EngagementLabWarning, match="row 3"):
            table = load_hand_labels(path)
        assert table[["post_id", "label"]].values.tolist() == [["123", "personal"], ["125", "not"]]


def test_kappa_is_undefined_when_only_one_class_is_used():
    # both labellings say "personal" for all 40 posts: p_e = 1, kappa = 0/0 (Cohen 1960)
    ag = agreement(pd.Series([True] * 40), pd.Series([True] * 40))
    assert ag.observed == 1.0 and pd.isna(ag.kappa)
    assert "nan" not in ag.text and "slight" not in ag.text
    assert "undefined" in ag.text and "only one class" in ag.text and "100%" in ag.text


def test_from_column_normalises_text_keys_and_checks_values():
    posts = pd.DataFrame({"v": ["1.0", "2.0", "1.5"]})
    assert from_column(posts, "v", {"1.0": True, "2.0": False, "1.5": True}).tolist() == [True, False, True]
    assert from_column(pd.DataFrame({"v": [1, 2]}), "v", {"1.0": True}).tolist() == [True, pd.NA]
    with pytest.raises(AnalysisError) as err:
        from_column(pd.DataFrame({"v": ["a", "b"]}), "v", {"a": "personal"})
    assert err.value.parameter == "mapping" and "personal" in str(err.value)


def test_label_mask_marks_the_value_under_test_and_every_other_value_as_the_rest():
    # a scheme other than personal/brand: UCI's categories, one value against the two others
    posts = pd.DataFrame({"content_label": pd.array(["inspiration", "product", "action", None],
                                                    dtype="string")})
    assert label_mask(posts, ("content_label", "inspiration")).tolist() == [True, False, False, pd.NA]
    assert label_mask(posts, ("content_label", ["product", "action"])).tolist() == [False, True, True, pd.NA]
    with pytest.raises(AnalysisError, match="parameter 'label'.*boolean column"):
        label_mask(posts, "content_label")
    with pytest.raises(AnalysisError, match="parameter 'label'.*not found"):
        label_mask(posts, ("category", "inspiration"))


def test_combine_labels_takes_a_label_as_the_analyses_do(tmp_path):
    posts = pd.DataFrame({"post_id": ["1", "2", "3", "4"],
                          "text": ["My kids!", "Shop now", "My dog", "Win a cake"],
                          "content_label": ["product", "inspiration", None, "action"]})
    path = tmp_path / "hand.csv"
    append_label(path, "1", "personal")
    out = combine_labels(posts, label=("content_label", "inspiration"), heuristic=True, hand=path)
    # hand first; then the label (every value but "inspiration" is the rest); the heuristic fills post 3
    assert out["personal"].tolist() == [True, True, True, False]
    assert out["personal_source"].tolist() == ["hand", "column", "heuristic", "column"]
    # alone, the label marks the same posts content_lift compares
    assert (combine_labels(posts, label=("content_label", "inspiration"))["personal"].tolist()
            == label_mask(posts, ("content_label", "inspiration")).tolist())
    with pytest.raises(AnalysisError, match="parameter 'label'.*once"):
        combine_labels(posts, label=("content_label", "inspiration"), column="content_label",
                       mapping={"inspiration": True})


@pytest.mark.parametrize("call, parameter", [
    # a ufunc error from comparing scores with text
    (lambda posts: label_personal(posts, threshold="x"), "threshold"),
    # "'int' object has no attribute 'items'"
    (lambda posts: from_column(posts, "category", mapping=5), "mapping"),
    # KeyError: 'post_id'
    (lambda posts: attach_labels(posts.drop(columns="post_id"),
                                 pd.DataFrame({"post_id": ["1"], "content_label": ["personal"]})),
     "posts"),
    # pandas' "Need to pass bool-like values"
    (lambda posts: agreement(posts["category"], pd.Series([True, False])), "a"),
    (lambda posts: agreement(pd.Series([True, False]), posts["category"]), "b"),
], ids=["label_personal", "from_column", "attach_labels", "agreement-a", "agreement-b"])
def test_bad_arguments_of_label_functions_are_named(call, parameter):
    posts = pd.DataFrame({"post_id": ["1", "2"], "text": ["I love it", "Buy now"],
                          "category": ["personal", "brand"]})
    with pytest.raises(AnalysisError) as err:
        call(posts)
    assert err.value.parameter == parameter


def test_ids_match_as_the_loader_reads_them_and_unmatched_labels_are_counted(tmp_path):
    posts = pd.DataFrame({"post_id": ["1741805914695847937", "00123", "101"]})
    path = tmp_path / "tags.csv"
    # a trailing space is trimmed; 123 is not guessed to be 00123: it is counted as unmatched
    path.write_text("post_id,content_label\n1741805914695847937 ,personal\n123,personal\n")
    with pytest.warns(EngagementLabWarning, match=r"tags.csv: 1 of 2 label rows match no post.*'123'"):
        out = attach_labels(posts, path)
    assert out["content_label"].tolist() == ["personal", pd.NA, pd.NA]
    # a float id (101.0) is the id 101, as a spreadsheet shows it
    floats = pd.DataFrame({"post_id": [101.0, 102.0]})
    tags = pd.DataFrame({"post_id": ["101", "102"], "content_label": ["personal", "brand"]})
    assert attach_labels(floats, tags)["content_label"].tolist() == ["personal", "brand"]
    # an id a spreadsheet cut to 6 digits cannot be matched back: an error naming file and row
    path.write_text("post_id,content_label\n101,brand\n1.74173E+18,personal\n")
    with pytest.raises(DataFormatError, match="scientific notation") as err:
        attach_labels(posts, path)
    assert err.value.file == str(path) and err.value.row == 3 and err.value.column == "post_id"
    # hand labels match the same way
    hand = tmp_path / "hand.csv"
    append_label(hand, "101 ", "personal")
    append_label(hand, "999", "not")
    with pytest.warns(EngagementLabWarning, match="1 of 2 label rows match no post.*'999'"):
        assert hand_label_column(floats, hand).tolist() == [True, pd.NA]


def test_labels_are_joined_by_post_id_or_index_never_by_row_position():
    posts = pd.DataFrame({"post_id": ["1", "2", "3"],
                          "text": ["Shop our sale now", "My kids and I at home. How was your day?", "Order today"]})
    heuristic = label_personal(posts)
    resorted = posts.sort_values("text").reset_index(drop=True)  # "My kids" first, then "Order", "Shop"
    out = combine_labels(resorted, heuristic=heuristic)
    assert out["personal"].tolist() == [True, False, False]
    assert out["post_id"].tolist() == ["2", "3", "1"]
    # identical labels agree on every post, whatever the index of one and a list for the other
    ag = agreement(pd.Series([True, False, True, False], index=[0, 2, 4, 6]), [True, False, True, False])
    assert (ag.n, ag.observed) == (4, 1.0)
    with pytest.raises(AnalysisError, match="same posts"):
        agreement(pd.Series([True, False], index=[5, 6]), pd.Series([True, False]))
    # without post_id, labels are matched by the posts' index, and refused when it is not theirs
    sorted_only = posts.sort_values("text")
    assert (combine_labels(sorted_only, heuristic=heuristic.drop(columns="post_id"))["personal"].tolist()
            == [True, False, False])
    with pytest.raises(AnalysisError, match="labels of other posts") as err:
        combine_labels(resorted, heuristic=heuristic.drop(columns="post_id").set_axis([7, 8, 9]))
    assert err.value.parameter == "heuristic"


def test_labels_of_several_accounts_are_joined_on_account_and_post_id(tmp_path):
    posts = pd.DataFrame({"account": ["bakery", "bikes", "bakery"], "post_id": ["7", "7", "8"]})
    tags = pd.DataFrame({"account": ["bakery", "bikes"], "post_id": ["7", "7"],
                         "content_label": ["personal", "brand"]})
    assert attach_labels(posts, tags)["content_label"].tolist() == ["personal", "brand", pd.NA]
    # without an account column, the shared id 7 cannot say whose label it is
    with pytest.raises(DataFormatError, match="several accounts.*account column") as err:
        attach_labels(posts, tags.drop(columns="account").iloc[:1])
    assert err.value.column == "account"
    hand = tmp_path / "hand.csv"
    append_label(hand, "7", "personal")
    with pytest.raises(DataFormatError, match="several accounts"):
        hand_label_column(posts, hand)
    # one account at a time is fine
    assert hand_label_column(posts.iloc[[0, 2]], hand).tolist() == [True, pd.NA]
    with pytest.raises(DataFormatError, match="twice in the label table for one account"):
        attach_labels(posts, pd.concat([tags, tags.iloc[:1]]))


def test_links_are_links_with_or_without_a_scheme_and_their_words_never_count():
    texts = ["So proud of this loaf! Recipe: harborbakes.com/loaf",
             "So proud of this loaf! Recipe: https://harborbakes.com/loaf",
             "New loaf is here https://harborbakes.com/my-family-recipe",
             "https://t.co/AbC?you=1",
             "Fresh bread at bit.ly/x today",
             "Visit www.harborbakes.com"]
    out = label_personal(pd.DataFrame({"text": texts}))
    assert not out["no_link"].any()  # every text carries a link
    assert out.loc[0, "personal_score"] == out.loc[1, "personal_score"]  # with or without https://
    assert out.loc[2, "features"] == "" and out.loc[3, "features"] == ""  # my-family, ?you= are the link's
    assert not out["personal"].any()
    # a full stop between two words is no link
    assert label_personal(pd.DataFrame({"text": ["The end.Next day I baked"]})).loc[0, "no_link"]


def test_values_that_differ_only_in_case_or_spaces_are_named_not_silently_the_rest():
    posts = pd.DataFrame({"content_label": ["personal", "Personal ", "PERSONAL", "PERSONAL", "brand"]})
    with pytest.warns(EngagementLabWarning, match="counted with the rest") as record:
        mask = label_mask(posts, ("content_label", "personal"))
    message = str(record[0].message)
    assert "'Personal ' (1 post)" in message and "'PERSONAL' (2 posts)" in message and "brand" not in message
    assert mask.tolist() == [True, False, False, False, False]  # still the rest, as asked, but said so


def test_unreadable_label_files_and_posts_without_ids_are_named(tmp_path):
    posts = pd.DataFrame({"post_id": ["1"], "text": ["My dog"]})
    latin = tmp_path / "latin.csv"
    latin.write_bytes("post_id,content_label\n1,caf\xe9\n".encode("latin-1"))  # UnicodeDecodeError
    not_csv = tmp_path / "tags.csv"
    not_csv.write_text("post_id,content_label\n1,personal\n2,brand,x,y\n")  # pandas' ParserError
    for path in (latin, not_csv):
        with pytest.raises(DataFormatError, match="expected a label table") as err:
            attach_labels(posts, path)
        assert err.value.file == str(path)
    hand = tmp_path / "hand.csv"
    append_label(hand, "1", "personal")
    with pytest.raises(AnalysisError) as err:  # KeyError: 'post_id'
        combine_labels(posts.drop(columns="post_id"), hand=hand)
    assert (err.value.parameter, err.value.column) == ("posts", "post_id")
