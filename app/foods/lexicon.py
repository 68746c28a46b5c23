"""General English the meal parser needs and the food data cannot supply.

Numbers, measure units, words that introduce or frame a food without naming it, and a few
spellings. Nothing here names a food, a brand or a portion size of a particular food: those come
from USDA FNDDS and SR28 (see :mod:`app.foods.matcher` and :mod:`app.foods.units`).
"""

from __future__ import annotations

NUMBER_WORDS: dict[str, float] = {
    "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "dozen": 12, "half": 0.5, "quarter": 0.25, "couple": 2, "pair": 2, "few": 3,
    "several": 3, "some": 1, "another": 1, "double": 2, "triple": 3,
}  # fmt: skip

# Mass units in grams; volume units in millilitres.
MASS_G: dict[str, float] = {
    "g": 1, "gram": 1, "grams": 1, "gr": 1, "kg": 1000, "kilogram": 1000, "kilograms": 1000,
    "mg": 0.001, "oz": 28.3495, "ounce": 28.3495, "ounces": 28.3495, "lb": 453.592,
    "lbs": 453.592, "pound": 453.592, "pounds": 453.592,
}  # fmt: skip
VOLUME_ML: dict[str, float] = {
    "ml": 1, "milliliter": 1, "milliliters": 1, "millilitre": 1, "millilitres": 1, "l": 1000,
    "liter": 1000, "liters": 1000, "litre": 1000, "litres": 1000, "dl": 100, "cl": 10,
    "cup": 236.588, "cups": 236.588, "c": 236.588, "tablespoon": 14.787, "tablespoons": 14.787,
    "tbsp": 14.787, "tbs": 14.787, "tbl": 14.787, "teaspoon": 4.929, "teaspoons": 4.929,
    "tsp": 4.929, "floz": 29.574, "pint": 473.176, "pints": 473.176, "quart": 946.353,
    "quarts": 946.353, "gallon": 3785.41, "gallons": 3785.41, "shot": 44.36, "shots": 44.36,
    "jigger": 44.36,
}  # fmt: skip
# How the volume units are written in USDA portion descriptions.
VOLUME_CANON: dict[str, str] = {
    "cup": "cup", "cups": "cup", "c": "cup", "tablespoon": "tablespoon",
    "tablespoons": "tablespoon", "tbsp": "tablespoon", "tbs": "tablespoon", "tbl": "tablespoon",
    "teaspoon": "teaspoon", "teaspoons": "teaspoon", "tsp": "teaspoon", "floz": "floz",
}  # fmt: skip
# Household vessels with no universal size: when the food has no such portion, about this much.
VESSEL_ML: dict[str, float] = {
    "glass": 236.588, "mug": 236.588, "bowl": 354.882, "scoop": 118.294, "ladle": 118.294,
    "carton": 236.588, "dollop": 29.574, "splash": 14.787, "drizzle": 4.929, "pinch": 0.31,
    "dash": 0.62, "hint": 0.62, "sprinkle": 1.2, "spoonful": 14.787, "spoon": 14.787,
}  # fmt: skip

# Words that set the scene without describing a food: dropped before matching.
FILLER: frozenset[str] = frozenset(
    """i me my myself we our us ourselves you your yourself himself herself themselves he she
    his her they their them it its it's this these those is was were be been being am are has
    have had having do did done does just also really very
    so too quite rather simply truly such then now again today tonight yesterday week moment
    enjoy enjoyed enjoying eat ate eaten eating drank drinking sip sipped sipping savor savored
    savoured savoring relish relished relishing indulge indulged indulging treated grab grabbed
    grabbing chose choose picked decided went opted reached finished started consisted
    consisting consists included includes featured features got get kick boost fuel
    fueled routine craving cravings bite bites perfect perfectly along alongside together
    side accompaniment addition touch bit nice great good favorite favourite delicious tasty
    yummy lovely delightful wonderful satisfying satisfied hearty refreshing nutritious
    wholesome healthy amazing scrumptious flavorful flavourful tempting enjoyable comforting
    about around approximately roughly nearly almost some any of the flavor flavors flavour
    flavours taste goodness""".split()
)
# Words that describe how a food felt (or the place it came from) rather than which food it is:
# they help a food that carries them ("hot dog", "light beer") and cost nothing when the food
# does not ("a fast food place": FNDDS's "other place" is no biscuit of its own).
SOFT: frozenset[str] = frozenset(
    """hot cold warm cool chilled icy iced steaming fresh freshly crispy crisp crunchy creamy
    smooth juicy tender rich sweet savory savoury salty tangy zesty spicy chewy fluffy gooey
    big small medium large huge tiny little mini classic simple homemade quick generous tall
    short full cute place""".split()
)
# Words that join two food phrases; the second may be a food of its own or part of the first.
JOINERS: frozenset[str] = frozenset(
    """and with plus alongside along accompanied complemented paired served topped followed
    washed which that while as for to on in over inside under filled stuffed packed made cooked
    containing including featuring mixed dipped drizzled sprinkled spread covered coated
    smothered loaded garnished then also besides but or nor making adding giving leaving
    perfect after before when since because so""".split()
)
# "For breakfast", "as a snack", "during my lunch break": when and why, never what.
MEAL_WORDS: frozenset[str] = frozenset(
    """breakfast brunch lunch lunchtime dinner supper snack meal treat dessert break time
    morning afternoon evening night day""".split()
)

# British and common alternative names, to the words USDA uses. (Spellings one or two edits
# away, "yoghurt", "flavour", "tomatoe", are corrected against the food data's own words, and
# names the data lists itself, "prawns", "hotdog", need no entry.)
SPELLING: dict[str, str] = {
    "aubergine": "eggplant", "courgette": "zucchini", "swede": "rutabaga", "porridge": "oatmeal",
    "crisps": "chips", "mince": "ground", "rocket": "arugula", "tin": "can", "donut": "doughnut",
    "donuts": "doughnut", "veggie": "vegetable", "veggies": "vegetables", "fries": "french fries",
    "oj": "orange juice", "mac": "macaroni", "w": "with", "n": "and", "groundnut": "peanut",
    "groundnuts": "peanuts", "wholemeal": "whole wheat", "sub": "submarine sandwich",
    "subs": "submarine sandwiches", "pb": "peanut butter", "bbq": "barbecue", "maize": "corn",
}  # fmt: skip

# "..., weighing 120 g": the amount of the food before.
WEIGHING: frozenset[str] = frozenset(
    "weighing weighed weighs weigh measuring measured totaling totalling about around".split()
)
# "from a fast food place", "in a bowl", "on a bun": where the food was, not another food.
PREPOSITIONS: frozenset[str] = frozenset(
    "from at in on into onto inside over under within of".split()
)
