import uuid

import pytest

from app.foods.dataset import NUTRIENT_FIELDS, FoodRecord, Portion, foods_by_ndb
from app.foods.parser import (
    ExtractedItem,
    FoodIndex,
    default_index,
    parse,
    resolve_items,
    to_jsonl_dict,
)


def _kcal(ndb: str, grams: float) -> float:
    value = foods_by_ndb()[ndb].nutrients["kcal"]
    assert value is not None
    return value * grams / 100


def test_eggs_and_toast():
    r = parse("2 eggs n toast")
    assert len(r.items) == 2
    eggs, toast = r.items
    assert eggs.food.name.startswith("Egg, whole")
    assert eggs.quantity == 2
    assert eggs.unit == "large"
    assert eggs.grams == pytest.approx(100)
    assert eggs.nutrients["kcal"] == pytest.approx(_kcal(eggs.food.ndb_no or "", 100), rel=1e-6)
    assert "toasted" in toast.food.name and toast.food.name.startswith("Bread")
    assert r.totals["kcal"] == pytest.approx(eggs.nutrients["kcal"] + toast.nutrients["kcal"])
    assert r.unmatched == []


def test_chicken_rice_and_olive_oil():
    r = parse("chicken breast 200g with rice and a tbsp of olive oil")
    assert len(r.items) == 3
    chicken, rice, oil = r.items
    assert "breast" in chicken.food.name and chicken.food.name.startswith("Chicken")
    assert chicken.grams == pytest.approx(200)
    assert rice.food.name.startswith("Rice, white") and "cooked" in rice.food.name
    assert oil.food.name.startswith("Oil, olive")
    assert oil.grams == pytest.approx(13.5)
    assert oil.unit == "tbsp"


def test_filler_cup_and_medium_measures():
    r = parse("For lunch I had a cup of 2% milk and a medium apple")
    assert len(r.items) == 2
    milk, apple = r.items
    assert "2%" in milk.food.name
    assert milk.grams == pytest.approx(244)
    assert apple.food.name.startswith("Apples, raw")
    assert apple.unit == "medium"
    assert apple.grams == pytest.approx(182)


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("1/2 cup of orange juice", 0.5),
        ("½ cup orange juice", 0.5),
        ("1 1/2 cups orange juice", 1.5),
        ("one and a half cups of orange juice", 1.5),
        ("2-3 cups of orange juice", 2.5),
        ("three cups of orange juice", 3),
        ("half a cup of orange juice", 0.5),
        ("a couple of cups of orange juice", 2),
    ],
)
def test_amount_forms(text, quantity):
    (item,) = parse(text).items
    assert item.quantity == pytest.approx(quantity)
    assert item.unit == "cup"
    assert item.food.name.startswith("Orange juice")


def test_word_numbers_and_dozen():
    (item,) = parse("a dozen eggs").items
    assert item.grams == pytest.approx(600)
    (item,) = parse("twelve eggs").items
    assert item.quantity == 12


@pytest.mark.parametrize(
    ("text", "grams"),
    [
        ("150g banana", 150),
        ("1 kg potatoes", 1000),
        ("4 oz salmon", 113.4),
        ("1 lb ground beef", 453.6),
    ],
)
def test_mass_units(text, grams):
    (item,) = parse(text).items
    assert item.grams == pytest.approx(grams, rel=1e-3)


def test_volume_uses_food_measures_or_density():
    (milk,) = parse("500 ml milk").items
    assert 480 < milk.grams < 540
    (oil,) = parse("2 tsp olive oil").items
    assert oil.grams == pytest.approx(9.0, rel=0.05)


def test_unmatched_words_are_reported():
    r = parse("a blorfington and a banana")
    assert [i.food.name for i in r.items] == ["Bananas, raw"]
    assert r.unmatched == ["blorfington"]


def test_typos_and_abbreviations():
    (item,) = parse("chiken brest 100 g").items
    assert item.food.name.lower().startswith("chicken")
    assert "breast" in item.food.name.lower()
    r = parse("eggs & toast w/ oj")
    assert len(r.items) == 3
    assert r.items[2].food.name.startswith("Orange juice")


def test_cooking_words_steer_prepared_form():
    (item,) = parse("2 scrambled eggs").items
    assert item.food.name == "Egg, whole, cooked, scrambled"
    (item,) = parse("a fried egg").items
    assert "fried" in item.food.name


@pytest.mark.parametrize(
    ("query", "expected_start", "forbidden"),
    [
        ("egg", "Egg, whole", "mix"),
        ("rice", "Rice, white", "raw"),
        ("toast", "Bread", "French"),
        ("pasta", "Pasta, cooked", "dry"),
        ("coke", "Beverages, carbonated, cola", "low calorie"),
        ("oj", "Orange juice", "frozen"),
        ("banana", "Bananas, raw", "dehydrated"),
    ],
)
def test_as_eaten_forms_win(query, expected_start, forbidden):
    (item,) = parse(query).items
    assert item.food.name.startswith(expected_start)
    assert forbidden not in item.food.name


def test_search_ranking():
    index = default_index()
    top = index.search("egg", limit=5)
    assert top[0][0].name.startswith("Egg, whole")
    assert all(0.0 <= s <= 1.0 for _, s in top)
    assert [s for _, s in top] == sorted((s for _, s in top), reverse=True)
    names = [f.name for f, _ in index.search("chocolate milk", limit=3)]
    assert names[0].startswith("Milk, chocolate")
    assert index.search("chiken", limit=1)[0][0].name.lower().startswith("chicken")


def _custom_food() -> FoodRecord:
    nutrients = dict.fromkeys(NUTRIENT_FIELDS, None) | {
        "kcal": 250.0,
        "protein_g": 20.0,
        "carbs_g": 10.0,
        "fat_g": 15.0,
    }
    return FoodRecord(
        id=uuid.UUID("00000000-0000-0000-0000-000000000001"),
        ndb_no=None,
        name="Grandma's zucchini frittata",
        group=None,
        nutrients=nutrients,
        portions=(Portion(seq=1, amount=1, unit="slice", grams=120),),
    )


def test_custom_foods_are_searched_and_parsed():
    food = _custom_food()
    hits = default_index().search("zucchini frittata", extra=[food])
    assert hits[0][0] is food
    r = parse("2 slices of zucchini frittata", extra=[food])
    (item,) = r.items
    assert item.food is food
    assert item.grams == pytest.approx(240)
    assert item.nutrients["kcal"] == pytest.approx(600)
    assert item.nutrients["vitamin_c_mg"] == 0.0


def test_index_over_custom_records_only():
    index = FoodIndex([_custom_food()])
    assert index.search("frittata")[0][0].name == "Grandma's zucchini frittata"


def test_resolve_items_uses_same_logic():
    r = resolve_items(
        [ExtractedItem("eggs", 2), ExtractedItem("olive oil", 1, "tbsp"), ExtractedItem("apple")]
    )
    assert [round(i.grams, 1) for i in r.items] == [100.0, 13.5, 182.0]
    assert r.totals["kcal"] == pytest.approx(sum(i.nutrients["kcal"] for i in r.items))


def test_items_have_alternatives_and_confidence():
    (item,) = parse("a banana").items
    assert 0 < item.confidence <= 1
    assert 1 <= len(item.alternatives) <= 3
    assert item.food not in item.alternatives


def test_jsonl_dict_shape():
    d = to_jsonl_dict(parse("2 eggs n toast"))
    assert d["text"] == "2 eggs n toast"
    assert set(d["totals"]) == {"kcal", "protein_g", "carbs_g", "fat_g"}
    item = d["items"][0]
    assert set(item) == {
        "food_id",
        "food",
        "quantity",
        "unit",
        "grams",
        "kcal",
        "protein_g",
        "carbs_g",
        "fat_g",
        "confidence",
    }
    assert uuid.UUID(item["food_id"])
    assert item["grams"] == 100.0


def test_parse_is_deterministic():
    text = "a bowl of oatmeal with honey, 2 slices of pizza and a coke"
    assert to_jsonl_dict(parse(text)) == to_jsonl_dict(parse(text))


def test_weight_before_a_dish_covers_its_fillings():
    (item,) = parse("300 g of burrito with beans and cheese").items
    assert item.grams == pytest.approx(300)
    # A burrito (the as-served fast-food recipe by default), with the fillings refining it.
    assert "burrito" in item.food.name.lower() and "bean" in item.food.name.lower()


def test_weight_after_a_food_scopes_only_that_food():
    r = parse("salmon 150g with rice")
    assert round(r.items[0].grams) == 150
    assert len(r.items) == 2


def test_bread_under_a_sandwich_is_part_of_it():
    r = parse("a cheeseburger on a sesame bun")
    assert len(r.items) == 1
    assert "cheeseburger" in r.items[0].food.name.lower()


def test_side_remarks_and_back_references_add_nothing():
    r = parse("a glazed doughnut, which made my morning, and I loved every bite of the doughnut")
    assert len(r.items) == 1
    assert "doughnut" in r.items[0].food.name.lower()


def test_containers_and_drink_sizes():
    (can,) = parse("a can of coke").items
    assert can.grams == pytest.approx(370, rel=0.05)  # 12 fl oz, not the 16 oz bottle
    (chips,) = parse("a small bag of potato chips").items
    assert 20 <= chips.grams <= 40  # a snack bag, not the 8 oz family bag


def test_condiments_default_to_a_spoonful():
    (item,) = parse("some ketchup").items
    assert item.grams < 30


def test_bare_amount_attaches_to_its_food():
    (item,) = parse("one granola bar, weighing about 1.5 oz").items
    assert item.grams == pytest.approx(42.5, rel=0.01)


def test_hot_cereal_is_matched_as_eaten():
    (item,) = parse("150 g of instant oatmeal").items
    name = item.food.name.lower()
    assert "prepared" in name or "cooked" in name


def test_dry_milk_reconstituted_is_fluid_milk():
    (item,) = parse("a cup of dry milk reconstituted").items
    assert "dry" not in item.food.name.lower()
    assert item.food.name.lower().startswith("milk")


def test_whole_pizza_and_slice_use_typical_portions():
    whole = parse("a large cheese pizza").items[0]
    piece = parse("a slice of cheese pizza").items[0]
    assert whole.grams > 600
    assert 90 <= piece.grams <= 140


def test_unlisted_sandwich_is_bread_plus_filling():
    names = [it.food.name.lower() for it in parse("a tuna salad sandwich").items]
    assert any(n.startswith("bread") for n in names)
    assert any("tuna" in n for n in names)


def test_food_for_babies_is_babyfood():
    (item,) = parse("100 g of strained chicken noodle dinner for babies").items
    assert item.food.name.lower().startswith("babyfood")


def test_descriptive_words_alone_do_not_make_a_food():
    r = parse("a scoop of zorbleflux nutritional powder")
    assert r.items == []
    assert r.unmatched


def test_category_heading_before_a_list_is_not_an_item():
    r = parse("two soft drinks: 300 g of root beer and 300 g of cola")
    assert len(r.items) == 2


def test_highball_splits_weight_between_spirit_and_mixer():
    r = parse("300 g of vodka and soda")
    assert [round(it.grams) for it in r.items] == [100, 200]
    assert r.totals["carbs_g"] < 2


def test_whole_plate_weight_is_shared_over_the_listed_foods():
    r = parse("a frozen meal of chicken, rice and broccoli, all in a 9 oz portion")
    assert len(r.items) >= 2
    assert sum(it.grams for it in r.items) == pytest.approx(9 * 28.35, rel=0.01)


def test_plate_weight_does_not_carry_into_the_next_sentence():
    r = parse(
        "a salisbury steak with gravy, all from the 11 oz frozen meal. I had a slice of bread."
    )
    bread = [it for it in r.items if it.food.name.lower().startswith("bread")]
    assert bread and bread[0].grams < 60


def test_energy_drink_is_not_filler():
    (item,) = parse("a can of Monster energy drink").items
    assert "low carb" not in item.food.name.lower()
    assert item.nutrients["carbs_g"] > 20


def test_all_is_not_a_food():
    r = parse("a slice of white bread and a fried egg, all made without added fat")
    assert not any("bran" in it.food.name.lower() for it in r.items)


def test_pizza_without_frozen_leans_to_pizzeria():
    (item,) = parse("a slice of pepperoni pizza").items
    assert "frozen" not in item.food.name.lower()
    (item,) = parse("a slice of frozen pepperoni pizza").items
    assert "frozen" in item.food.name.lower()


def test_pair_before_dish_fills_the_dish():
    (item,) = parse("a 400 g meat and cheese calzone").items
    assert item.nutrients["carbs_g"] > 60


def test_drink_of_names_only_the_serving():
    r = parse("a drink of whiskey and soda")
    assert not any("sour" in it.food.name.lower() for it in r.items)


def test_fried_chicken_is_battered_unless_said_otherwise():
    (item,) = parse("a fried chicken thigh").items
    assert "batter" in item.food.name.lower()
    (item,) = parse("a skinless fried chicken thigh").items
    assert "batter" not in item.food.name.lower()


def test_tray_weight_said_first_is_shared_over_its_parts():
    r = parse("a 10 oz frozen dinner of fried chicken, mashed potatoes and corn")
    assert len(r.items) == 3
    assert sum(it.grams for it in r.items) == pytest.approx(10 * 28.35, rel=0.01)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("a cup of chicken", "chicken, broilers or fryers"),
        ("2 strips of bacon", "pork, cured, bacon"),
    ],
)
def test_bare_meat_words_mean_the_common_cooked_cut(text, start):
    (item,) = parse(text).items
    assert item.food.name.lower().startswith(start)
