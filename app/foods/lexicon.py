"""Hand-written word lists the parser relies on: numbers, units, filler words, synonyms, priors.

Everything here is general English or general food knowledge; nothing is tuned to particular
sentences. Words are lower case; multi-word keys are matched on whole tokens.
"""

from __future__ import annotations

# --- amounts ---------------------------------------------------------------------------------

NUMBER_WORDS: dict[str, float] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "half": 0.5,
    "quarter": 0.25,
    "dozen": 12,
    "couple": 2,
    "few": 3,
    "several": 3,
    "pair": 2,
    "both": 2,
    "another": 1,
}

# Multi-word amounts, longest first so "a couple of" wins over "a".
AMOUNT_PHRASES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("one", "and", "a", "half"), 1.5),
    (("a", "half", "dozen"), 6),
    (("half", "a", "dozen"), 6),
    (("a", "couple", "of"), 2),
    (("a", "couple"), 2),
    (("a", "few"), 3),
    (("a", "dozen"), 12),
    (("a", "pair", "of"), 2),
    (("half", "a"), 0.5),
    (("half", "an"), 0.5),
    (("a", "half"), 0.5),
    (("a", "quarter"), 0.25),
    (("a", "third", "of"), 1 / 3),
    (("one", "third", "of"), 1 / 3),
    (("a", "bit", "of"), 0.5),
    (("a", "little"), 0.5),
    (("some",), 1),
)

UNICODE_FRACTIONS: dict[str, str] = {
    "½": " 1/2",
    "⅓": " 1/3",
    "⅔": " 2/3",
    "¼": " 1/4",
    "¾": " 3/4",
    "⅕": " 1/5",
    "⅛": " 1/8",
}

# --- units -----------------------------------------------------------------------------------

# Mass units: grams per unit. These never depend on the food.
MASS_UNITS: dict[str, float] = {
    "g": 1.0,
    "gram": 1.0,
    "grams": 1.0,
    "gr": 1.0,
    "gm": 1.0,
    "kg": 1000.0,
    "kilo": 1000.0,
    "kilogram": 1000.0,
    "kilograms": 1000.0,
    "mg": 0.001,
    "oz": 28.35,
    "ounce": 28.35,
    "ounces": 28.35,
    "lb": 453.6,
    "lbs": 453.6,
    "pound": 453.6,
    "pounds": 453.6,
}

# Volume units in millilitres; mapped to the food's own cup/tbsp/tsp/fl oz measure when it has one.
VOLUME_UNITS: dict[str, float] = {
    "ml": 1.0,
    "milliliter": 1.0,
    "milliliters": 1.0,
    "millilitre": 1.0,
    "millilitres": 1.0,
    "cl": 10.0,
    "dl": 100.0,
    "l": 1000.0,
    "liter": 1000.0,
    "liters": 1000.0,
    "litre": 1000.0,
    "litres": 1000.0,
    "floz": 29.57,
    "cup": 236.6,
    "cups": 236.6,
    "c": 236.6,
    "tbsp": 14.79,
    "tbs": 14.79,
    "tbl": 14.79,
    "tablespoon": 14.79,
    "tablespoons": 14.79,
    "tsp": 4.93,
    "teaspoon": 4.93,
    "teaspoons": 4.93,
    "pint": 473.2,
    "pints": 473.2,
    "quart": 946.4,
    "quarts": 946.4,
    "gallon": 3785.0,
    "shot": 44.4,
    "shots": 44.4,
    "glass": 236.6,
    "glasses": 236.6,
    "mug": 236.6,
    "mugs": 236.6,
    "bowl": 354.9,
    "bowls": 354.9,
    "ladle": 118.3,
}

# Canonical key of a volume unit as it appears in USDA measure descriptions.
VOLUME_KEY: dict[str, str] = {
    "cup": "cup",
    "cups": "cup",
    "c": "cup",
    "glass": "cup",
    "glasses": "cup",
    "mug": "cup",
    "mugs": "cup",
    "bowl": "cup",
    "bowls": "cup",
    "tbsp": "tbsp",
    "tbs": "tbsp",
    "tbl": "tbsp",
    "tablespoon": "tbsp",
    "tablespoons": "tbsp",
    "tsp": "tsp",
    "teaspoon": "tsp",
    "teaspoons": "tsp",
    "floz": "floz",
    "pint": "pint",
    "pints": "pint",
    "quart": "quart",
    "quarts": "quart",
}

# Count-like units ("a slice of", "two scoops") -> canonical key used to find the food's measure.
COUNT_UNITS: dict[str, str] = {
    "slice": "slice",
    "slices": "slice",
    "piece": "piece",
    "pieces": "piece",
    "pc": "piece",
    "pcs": "piece",
    "can": "can",
    "cans": "can",
    "bottle": "bottle",
    "bottles": "bottle",
    "scoop": "scoop",
    "scoops": "scoop",
    "serving": "serving",
    "servings": "serving",
    "portion": "serving",
    "portions": "serving",
    "helping": "serving",
    "helpings": "serving",
    "bag": "bag",
    "bags": "bag",
    "packet": "packet",
    "packets": "packet",
    "package": "package",
    "pack": "package",
    "container": "container",
    "containers": "container",
    "cup_container": "container",
    "carton": "carton",
    "box": "box",
    "bar": "bar",
    "bars": "bar",
    "stick": "stick",
    "sticks": "stick",
    "patty": "patty",
    "patties": "patty",
    "link": "link",
    "links": "link",
    "strip": "strip",
    "strips": "strip",
    "wedge": "wedge",
    "wedges": "wedge",
    "fillet": "fillet",
    "fillets": "fillet",
    "filet": "fillet",
    "handful": "handful",
    "handfuls": "handful",
    "pat": "pat",
    "pats": "pat",
    "leaf": "leaf",
    "leaves": "leaf",
    "clove": "clove",
    "cloves": "clove",
    "sprig": "sprig",
    "spear": "spear",
    "spears": "spear",
    "stalk": "stalk",
    "stalks": "stalk",
    "square": "square",
    "squares": "square",
    "pouch": "pouch",
    "jar": "jar",
    "order": "order",
    "plate": "serving",
    "plateful": "serving",
    "dash": "dash",
    "pinch": "dash",
    "splash": "splash",
    "drizzle": "drizzle",
    "dollop": "dollop",
    "rod": "rod",
    "rods": "rod",
    "tube": "tube",
    "tubes": "tube",
}

# Grams for count units when the food has no matching measure (a rough, typical item).
COUNT_DEFAULT_GRAMS: dict[str, float] = {
    "handful": 30.0,
    "dash": 0.5,
    "splash": 15.0,
    "drizzle": 5.0,
    "dollop": 20.0,
    "packet": 12.0,
    "pat": 5.0,
    "clove": 3.0,
    "leaf": 5.0,
    "sprig": 1.0,
    "rod": 11.0,  # a pretzel rod
    "pouch": 25.0,  # a snack pouch (fruit snacks, trail mix); drinks use CONTAINER_ML
    "container": 113.0,  # a single-serve cup of applesauce, pudding or fruit (4 oz)
    "tube": 64.0,  # a squeeze tube of yogurt (2.25 oz)
}

# A packet of a high-intensity sweetener (stevia, sucralose, aspartame) holds about 1 g.
SWEETENER_PACKET_GRAMS = 1.0
# One piece of candy or chocolate broken from a bar or bag when the food has no "piece" measure.
CANDY_PIECE_GRAMS = 10.0

# Count units that are packages: what they hold, when stated, is the amount eaten.
CONTAINER_UNITS: frozenset[str] = frozenset(
    {"box", "pouch", "bottle", "can", "carton", "container", "jar", "packet", "bag", "package"}
)

# A single-serve bottle of juice or juice drink: 12 fl oz.
JUICE_BOTTLE_ML = 355.0

# Cans of energy drinks by brand, when the food has no can measure: Monster, Rockstar, NOS,
# Full Throttle, AMP and Bang come in 16 fl oz cans, Red Bull in 8.4 fl oz ones.
ENERGY_DRINK_CAN_ML: dict[str, float] = {
    "monster": 473.0,
    "rockstar": 473.0,
    "nos": 473.0,
    "full throttle": 473.0,
    "amp": 473.0,
    "bang": 473.0,
    "red bull": 250.0,
}
# Drink boxes come in 6.75 fl oz (200 ml) and, for small and "fun size" ones, 4.23 fl oz.
SMALL_DRINK_BOX_ML = 125.0
# A single-serve bottle of drinkable yogurt: the small probiotic bottles (DanActive,
# Danimals, Activia Dailies) hold 93-100 ml.
YOGURT_DRINK_BOTTLE_ML = 100.0

# Volume (ml) of a container when the food has no matching measure; drinks mostly.
CONTAINER_ML: dict[str, float] = {
    "can": 355.0,
    "box": 200.0,
    "pouch": 177.0,
    "bottle": 500.0,
    "glass": 240.0,
    "carton": 240.0,
    "container": 240.0,  # a half-pint carton of milk; juice and snack cups are smaller
}

SIZE_WORDS: dict[str, str] = {
    "small": "small",
    "little": "small",
    "mini": "mini",
    "medium": "medium",
    "regular": "medium",
    "medium-sized": "medium",
    "medium-size": "medium",
    "small-sized": "small",
    "large-sized": "large",
    "snack-size": "small",
    "snack-sized": "small",
    "fun-size": "mini",
    "bite-size": "mini",
    "bite-sized": "mini",
    "average": "medium",
    "large": "large",
    "big": "large",
    "extra-large": "extra large",
    "jumbo": "jumbo",
    "huge": "large",
    "miniature": "mini",
    "regular-sized": "medium",
    "regular-size": "medium",
    "large-size": "large",
    "king-size": "large",
    "personal": "personal",
    "junior": "junior",
}

# Relative size when the food has no measure for the size word.
# Words in USDA measure descriptions for the bite-sized versions ("mini", "fun size", ...).
MINI_MEASURE_WORDS: frozenset[str] = frozenset({"mini", "miniature", "bite", "fun", "snack"})

SIZE_FACTOR: dict[str, float] = {
    "mini": 0.35,
    "small": 0.7,
    "medium": 1.0,
    "large": 1.3,
    "extra large": 1.45,
    "jumbo": 1.6,
    "personal": 1.0,
    # A chain's "junior" burger is about half its signature one (a Whopper Jr. ~150 g, a Whopper
    # ~290 g on Burger King's nutrition guide).
    "junior": 0.5,
}

# --- segmentation ----------------------------------------------------------------------------

# Phrases that always separate two food items.
HARD_SEPARATORS: tuple[tuple[str, ...], ...] = (
    ("accompanied", "by"),
    ("accompanied", "with"),
    ("complemented", "by"),
    ("complemented", "with"),
    ("complemented", "it", "with"),
    ("paired", "with"),
    ("paired", "it", "with"),
    ("along", "with"),
    ("alongside",),
    ("besides",),
    ("together", "with"),
    ("followed", "by"),
    ("washed", "it", "down", "with"),
    ("washed", "down", "with"),
    ("washing", "it", "down", "with"),
    ("as", "well", "as"),
    ("in", "addition", "to"),
    ("plus",),
    ("while",),
    ("then",),
    ("also",),
    ("served", "with"),
    ("finished", "with"),
    ("finished", "off", "with"),
    ("finished", "it", "off", "with"),
    ("rounded", "it", "out", "with"),
    ("rounded", "it", "off", "with"),
    # A new clause about the eater ends any description ("... made with butter, and I had").
    ("and", "i"),
    ("and", "we"),
    # What a food goes with is eaten too ("juice, a perfect accompaniment to my doughnut").
    ("accompaniment", "to"),
    ("accompaniment", "for"),
    ("complement", "to"),
    ("companion", "to"),
    ("rounded", "off", "with"),
    ("topped", "off", "with"),
    ("rounded", "out", "with"),
    ("on", "the", "side"),
    ("with", "a", "side", "of"),
    ("a", "side", "of"),
    ("side", "of"),
)

# Words that may separate two items or may be part of one dish name ("macaroni and cheese");
# the parser keeps them joined only when the joined phrase names a food better.
SOFT_SEPARATORS: frozenset[str] = frozenset({"and", "with", "on", "over", "in", "topped"})

# Words that, after "with", "topped", "in" ..., describe the dish before them rather than a
# separate item ("a cinnamon bun topped with frosting", "pears in syrup", "a burrito with meat").
MODIFIER_WORDS: frozenset[str] = frozenset(
    """
    sauce sauces gravy frosting frosted icing iced glaze glazed syrup dressing cheese cheesy
    meat meats beef chicken pork bean beans vegetable vegetables veggies cream sour whipped
    butter oil seasoning seasonings spices spice salt pepper peppers toppings topping filling
    sugar cinnamon onion onions tomato tomatoes lettuce mayo mayonnaise mustard ketchup catsup
    skin breading batter coating crust fat milk water juice raisins nuts fruit fruits sprinkles
    chocolate caramel fudge nut herbs garlic vanilla
    added without no extra light heavy regular plain fried sweet savory spicy tangy crispy
    crunchy melted gooey golden thin thick medium side flavored flavor buttery cheesy
    calcium vitamin vitamins fiber protein iron pulp omega meatless skinless
    """.split()
)

# Verbs that introduce a description of the dish just named ("a burrito filled with beans,
# rice and cheese"): the words after them, up to the next quantified item, describe it.
DESCRIBE_MARKERS: frozenset[str] = frozenset(
    """
    made filled packed loaded stuffed coated covered drizzled smothered bursting containing
    reconstituted crafted mixed blended dipped sprinkled spread layered garnished seasoned
    dressed infused studded skipping unaccompanied which that who featuring from holding
    """.split()
)

# Fish sold and cooked as fillets ("a salmon fillet").
FISH_WORDS: tuple[str, ...] = (
    "fish",
    "salmon",
    "tuna",
    "cod",
    "tilapia",
    "catfish",
    "haddock",
    "pollock",
    "flounder",
    "sole",
    "trout",
    "halibut",
    "mahi",
    "swordfish",
    "bass",
    "perch",
    "snapper",
    "whitefish",
)

# Describing verbs that are also adjectives before a food ("mixed vegetables", "stuffed
# peppers"): they describe the food before them only when a preposition follows.
PARTICIPLE_MARKERS: frozenset[str] = frozenset(
    """
    made filled packed loaded stuffed coated covered drizzled smothered bursting crafted mixed
    blended dipped sprinkled spread layered garnished seasoned dressed infused studded
    """.split()
)
PARTICIPLE_LINKS: frozenset[str] = frozenset(
    "with without in into by on of from to together up at for and over atop inside using".split()
)

# Words that start a side remark after a food ("..., which was just what I needed", "to quench
# my thirst", "for some crunch"); the rest of the clause is not about food amounts.
CLAUSE_STARTERS: frozenset[str] = frozenset(
    """
    whose to because since so making giving keeping providing ensuring hitting offering
    bringing perfect ideal measuring
    """.split()
)

BREAD_WORDS: frozenset[str] = frozenset(
    """
    bun buns bread roll rolls white wheat whole grain multigrain toast toasted bagel english
    muffin tortilla wrap croissant biscuit rye sourdough french italian kaiser hoagie sub
    hamburger hotdog hot dog pita ciabatta brioche potato sesame seed flour corn
    """.split()
)
# Breads a filling is put "on" to make a sandwich ("sausage on a biscuit").
SANDWICH_ROLLS: frozenset[str] = frozenset(
    """
    bun buns biscuit biscuits roll rolls bagel croissant muffin kaiser hoagie ciabatta brioche
    """.split()
)
# Kinds of bread in USDA sandwich names (singular, as the matcher stems them).
SANDWICH_BREAD_KINDS: frozenset[str] = frozenset(
    """
    bun roll biscuit bagel croissant muffin griddle pancake waffle tortilla pita wrap toast
    """.split()
)
SANDWICH_WORDS: frozenset[str] = frozenset(
    """
    sandwich sandwiches burger burgers cheeseburger cheeseburgers hamburger hamburgers hotdog
    dog dogs sub hoagie wrap melt blt slider sliders whopper
    """.split()
)

# Words that never name a food on their own ("a light snack", "a perfect combination").
WEAK_WORDS: frozenset[str] = frozenset(
    """
    light sweet warm hot cold perfect combination fix ending day side regular plain fresh small
    medium large little big part piece bite time treat mix snack meal dessert style type kind
    homemade home-made serving portion flavor flavored extra half whole cooking lean thick
    smoked sliced diced chopped shredded grated crispy spicy iced frozen canned dried organic
    unsweetened sweetened salted unsalted nonfat skim low-fat fat-free reduced-fat smooth creamy
    soft fluffy tender buttery diet low-calorie meatless skinless sugar-free sugarfree
    caffeine-free gluten-free dairy-free ready ready-to-drink ready-to-eat ready-to-serve
    brewed preserved removed flaked choice variety mixture pre-sweetened without coating
    crustless
    """.split()
)

# "..., savoring its creamy filling", "enjoying the perfect blend of ...": a gerund followed by
# one of these words talks about the food just named, not a new one.
GERUNDS: frozenset[str] = frozenset(
    {"enjoying", "savoring", "savouring", "relishing", "tasting", "adding", "loving"}
)
# "for" starts a side remark only before one of these ("for a quick bite"); "for" alone often
# starts the sentence ("For lunch I had ...").
SIDE_REMARK_PREPOSITIONS: frozenset[str] = frozenset({"for"})
BACK_REFERENCES: frozenset[str] = frozenset(
    {"the", "its", "their", "his", "her", "every", "each", "this", "these", "those", "it"}
)

# --- filler ----------------------------------------------------------------------------------

FILLER_WORDS: frozenset[str] = frozenset(
    """
    all i i'm im me my mine we our us you your he she they it its it's this that these those there
    had have has having ate eat eating eaten enjoy enjoyed enjoying savored savoured savor
    savoring relished relish indulged indulge indulging treated treat treating grabbed grab
    grabbing got get getting made make making prepared preparing consumed consume
    drank drinking sipped sip sipping snacked snacking munched munching nibbled
    devoured tried opted opt chose decided kicked started start began begin fixed
    went going go picked picking took take taking tasted taste tasting included including
    includes consisted consisting featured comprised along complemented complement
    accompanied paired served having heated warmed reheated
    for breakfast lunch dinner supper brunch meal meals appetizer stirred poured snack snacks
    morning afternoon evening night today tonight yesterday day midday noon late early
    time break lunchtime dinnertime breakfast-time snacktime midmorning mid-morning
    quick quickly little bit some just really very so too quite also then while after
    before during at as to of the by from into onto out up down off about around
    delicious delightful tasty yummy scrumptious lovely nice great good perfect perfectly
    satisfying satisfy hearty comforting comfort refreshing refreshed refreshment wonderful
    amazing fantastic awesome savory flavorful flavourful healthy nutritious wholesome
    generous classic simple simply favorite favourite fancy indulgent indulgence
    decadent sweet-tooth cozy cosy juicy crunchy crispy creamy chilled
    steaming fluffy rich moist zesty tangy zingy ripe crisp fresh-tasting
    goodness treat sweetness flavor flavour satisfied craving cravings
    every bit complete finished off energy boost fuel nourishing lightly
    today's day's everyday perfectly-cooked well-cooked nicely
    individual variety was were is are be been being kick mid-afternoon satisfaction creaminess
    warmth fuss mostly addition concluded warming authentic aromatic whimsical relaxed unwind
    designed stayed followed leaving chewed ending evening's reached reach convenient
    conveniently scooped fizzy sprinkle sprinkled their opened open popped local couldn't can't
    resist resisting another fun joint generously various colorful relaxing washed yet
    personal succulent soothing bubbly thirst-quenching thirst quench quenched relishing
    feasted iconic found discarded routine combining besides beloved beyond brought known
    moment additional equally measured luscious array soaking even afterward afterwards
    theater set aside exterior buddy pick-me-up them touch deliciously cafeteria slathered
    alongside accompanying accompany pairing paired side-by-side mouthwatering irresistible
    enhanced wrapped wrapping myself himself herself ourselves tonight's yesterday's
    morning's vibrant enriched right own fully burst crunch hint dipping dunking dunked warm
    which who what when where with-out way easy
    alongside along-side too
    """.split()
)

# Removed from the food phrase but do not count as unmatched: these are not food words.
QUIET_WORDS: frozenset[str] = frozenset(
    {"of", "the", "and", "with", "on", "over", "in", "topped", "or", "a", "an", "some", "each", "s"}
)

# First segments that name a category rather than the food ("Snacks, potato chips, plain").
GENERIC_NAME_HEADS: frozenset[str] = frozenset(
    {
        "snacks",
        "beverages",
        "candies",
        "fast foods",
        "restaurant",
        "cereals ready to eat",
        "alcoholic beverage",
        "alcoholic beverages",
        "babyfood",
        "school lunch",
        "usda commodity",
        "formulated bar",
        "game meat",
    }
)

# --- synonyms --------------------------------------------------------------------------------

# True synonyms and spellings: the key phrase is replaced wherever it occurs in a food phrase.
SYNONYMS: dict[str, str] = {
    "sorbet": "sherbet",
    "lollipop": "candies hard",
    "cupcake": "cake snack cakes creme-filled chocolate with frosting",
    "cupcakes": "cake snack cakes creme-filled chocolate with frosting",
    "coffee creamer": "cream substitute liquid",
    "creamer": "cream substitute liquid",
    "white bun": "rolls hamburger or hotdog plain",
    "soy milk": "soymilk",
    # Reduced-fat soy milks are USDA's "all flavors" entries (the chocolate ones say so).
    "nonfat soy milk": "soymilk all flavors nonfat",
    "fat-free soy milk": "soymilk all flavors nonfat",
    "nonfat soymilk": "soymilk all flavors nonfat",
    "lowfat soy milk": "soymilk all flavors lowfat",
    "low-fat soy milk": "soymilk all flavors lowfat",
    "fruit muffin": "muffins blueberry",
    "oj": "orange juice",
    "coke": "carbonated beverage cola",
    "pepsi": "carbonated beverage cola",
    "soda": "carbonated beverage cola",
    "soda pop": "carbonated beverage cola",
    "soft drink": "carbonated beverage cola",
    "diet coke": "carbonated beverage low calorie cola",
    "diet soda": "carbonated beverage low calorie cola",
    "sprite": "carbonated beverage lemon-lime soda",
    "ginger ale": "carbonated beverage ginger ale",
    "root beer": "carbonated beverage root beer",
    "sparkling water": "carbonated beverage club soda",
    "club soda": "carbonated beverage club soda",
    "seltzer": "carbonated beverage club soda",
    "pb": "peanut butter",
    "hot chocolate": "beverages cocoa mix powder prepared with water",
    "hot cocoa": "beverages cocoa mix powder prepared with water",
    "fat-free milk": "milk nonfat fluid",
    "fat free milk": "milk nonfat fluid",
    "nonfat milk": "milk nonfat fluid",
    "low-fat milk": "milk lowfat fluid 1% milkfat",
    "lowfat milk": "milk lowfat fluid 1% milkfat",
    "reduced-fat milk": "milk reduced fat fluid 2% milkfat",
    "reduced fat milk": "milk reduced fat fluid 2% milkfat",
    "half-and-half": "cream fluid half and half",
    "diet cola": "carbonated beverage low calorie cola",
    "slush": "frozen novelties ice type italian",
    "slushie": "frozen novelties ice type italian",
    "slushy": "frozen novelties ice type italian",
    "italian ice": "frozen novelties ice type italian",
    "m&m": "candies mars m&m's milk chocolate",
    "m&ms": "candies mars m&m's milk chocolate",
    "m&m's": "candies mars m&m's milk chocolate",
    # Hot cereals as eaten (cooked / prepared with water); "dry" steers back to the powder.
    "instant oatmeal": "cereals oats instant fortified plain prepared with water",
    "cream wheat": "cereals farina cream of wheat cooked with water",
    "cream rice": "cereals cream of rice cooked with water",
    "grits": "cereals corn grits cooked with water",
    # "oatmeal" alone is the cooked cereal; baked goods made with it keep their own noun.
    "oatmeal": "cereals oats regular and quick cooked with water",
    "oatmeal cookie": "cookies oatmeal",
    "oatmeal cookies": "cookies oatmeal",
    "oatmeal raisin": "oatmeal raisin",
    "oatmeal bread": "bread oatmeal",
    "oatmeal bar": "oatmeal bar",
    "oatmeal muffin": "muffin oatmeal",
    "oatmeal pie": "oatmeal pie",
    "fig newton": "cookies fig bars",
    "fig newtons": "cookies fig bars",
    "calzone": "pizza cheese topping regular crust",
    "calzones": "pizza cheese topping regular crust",
    "fried rice": "restaurant chinese fried rice",
    # A latte is a shot of espresso topped up with steamed milk (about 5/6 of the cup): its
    # nutrients are those of the milk, 2% in US coffee shops. Bottled ones say "bottled".
    "latte": "milk reduced fat fluid 2% milkfat",
    "lattes": "milk reduced fat fluid 2% milkfat",
    # Chinese-American takeout dishes: USDA has them as restaurant dishes.
    "orange chicken": "restaurant chinese orange chicken",
    "sesame chicken": "restaurant chinese sesame chicken",
    "lemon chicken": "restaurant chinese lemon chicken",
    "general tso's chicken": "restaurant chinese general tso's chicken",
    "general tso chicken": "restaurant chinese general tso's chicken",
    "kung pao chicken": "restaurant chinese kung pao chicken",
    "pan dulce": "bread pan dulce sweet yeast bread",
    "pan dulces": "bread pan dulce sweet yeast bread",
    # A scone is a sweetened biscuit dough; USDA lists no scone.
    "scone": "biscuits plain or buttermilk prepared from recipe",
    "scones": "biscuits plain or buttermilk prepared from recipe",
    "non-dairy milk": "soymilk original and vanilla",
    "nondairy milk": "soymilk original and vanilla",
    "plant milk": "soymilk original and vanilla",
    "plant-based milk": "soymilk original and vanilla",
    "diet": "diet low calorie",
    "pepper soft drink": "carbonated beverage pepper-type",
    "pepper soda": "carbonated beverage pepper-type",
    "dr pepper": "carbonated beverage pepper-type",
    "pepper-type soft drink": "carbonated beverage pepper-type",
    "diet pepsi": "carbonated beverage low calorie cola",
    "coke zero": "carbonated beverage low calorie cola",
    "chicken tender": "chicken breast tenders breaded cooked",
    "chicken tenders": "chicken breast tenders breaded cooked",
    "chicken strip": "chicken breast tenders breaded cooked",
    "chicken strips": "chicken breast tenders breaded cooked",
    "chicken fingers": "chicken breast tenders breaded cooked",
    "bottled water": "water bottled generic",
    "unsweetened water": "water bottled generic",
    # A cone with ice cream in it as served (~120 g), not the empty wafer cone.
    "ice cream cone": "fast foods vanilla soft-serve ice cream with cone",
    "ice cream cones": "fast foods vanilla soft-serve ice cream with cone",
    "packaged-ice-cream-cone": "ice cream cone chocolate covered with nuts",
    "packaged-ice-cream-cones": "ice cream cone chocolate covered with nuts",
    "chow mein": "restaurant chinese chicken chow mein",
    "chow mein noodles": "noodles chinese chow mein",
    "mac-and-cheese": "macaroni and cheese box mix with cheese sauce prepared",
    "corn-snacks": "snacks corn-based extruded puffs or twists",
    "cheese-snacks": "snacks corn-based extruded puffs or twists cheese-flavor",
    "fruit-snacks": "candies fruit snacks",
    "pretzel": "snacks pretzels hard",
    "corn snacks": "snacks corn-based extruded puffs or twists",
    "buttered popcorn": "snacks popcorn oil-popped white popcorn salt added",
    "buttery popcorn": "snacks popcorn oil-popped white popcorn salt added",
    "hot dog bun": "rolls hamburger or hotdog plain",
    "hotdog bun": "rolls hamburger or hotdog plain",
    "hamburger bun": "rolls hamburger or hotdog plain",
    "burger bun": "rolls hamburger or hotdog plain",
    "cheetos": "snacks cheese puffs and twists corn based",
    "cheese puffs": "snacks cheese puffs and twists corn based",
    "doritos": "snacks tortilla chips nacho cheese",
    "fritos": "snacks corn-based extruded chips plain",
    "tortilla chips": "snacks tortilla chips plain",
    "corn chips": "snacks corn-based extruded chips plain",
    "pringles": "snacks potato chips made from dried potatoes",
    "gatorade": "beverages sports drink gatorade",
    "sports drink": "beverages sports drink",
    "energy drink": "beverages energy drink",
    "kool-aid": "fruit flavored drink",
    # Plain soy sauce is brewed shoyu; the peanut sauce that merely contains some is not it.
    "soy sauce": "soy sauce made from soy and wheat shoyu",
    "shoyu": "soy sauce made from soy and wheat shoyu",
    "tamari": "soy sauce made from soy tamari",
    # USDA spells it with a hyphen, which the matcher splits into two words.
    "multigrain": "multi-grain",
    # "<bread> toast" is that bread toasted ("toast" alone would pull French or melba toast).
    "multigrain toast": "bread multi-grain toasted",
    "multi-grain toast": "bread multi-grain toasted",
    "wheat toast": "bread wheat toasted",
    "rye toast": "bread rye toasted",
    "sourdough toast": "bread french or vienna toasted includes sourdough",
    "pumpernickel toast": "bread pumpernickel toasted",
    "raisin toast": "bread raisin enriched toasted",
    "cinnamon raisin toast": "bread raisin enriched toasted",
    "oatmeal toast": "bread oatmeal toasted",
    "white toast": "bread white commercially prepared toasted",
    # Drink brands USDA SR28 does not list, as the generic drink they are.
    "capri sun": "fruit juice drink",
    "v8": "v8 100% vegetable juice",
    # The classic ice cream bar is chocolate-coated (nuts or crunch coating are said).
    "ice cream bar": "ice cream bar or stick chocolate covered",
    "ice cream bars": "ice cream bar or stick chocolate covered",
    "teething cookie": "babyfood teething biscuits",
    # String cheese is a 1 oz stick of part-skim mozzarella.
    "string cheese": "cheese mozzarella part skim milk",
    "cheese stick": "cheese mozzarella part skim milk",
    # A breakfast sandwich: egg, cheese and breakfast meat on an English muffin.
    "breakfast-sandwich": "fast foods english muffin with egg cheese and canadian bacon",
    "chicken salad": "poultry salad sandwich spread",
    "rice-krispies-treat": "rice krispies treats squares",
    # Southern sweet tea is brewed tea sweetened with sugar.
    "sweet tea": "tea black ready-to-drink lemon sweetened",
    "cheesy": "cheese",
    "teething cookies": "babyfood teething biscuits",
    # Cornmeal fritters (hush puppies, Puerto Rican sorullitos) are one food.
    "cornmeal fritter": "hush puppies",
    "cornmeal fritters": "hush puppies",
    "corn fritter": "hush puppies",
    "corn fritters": "hush puppies",
    "sorullito": "hush puppies",
    "sorullitos": "hush puppies",
    # A gordita is a thick corn masa cake (see TYPICAL_PORTIONS for its size).
    "gordita": "tortillas ready-to-bake or -fry corn",
    "gorditas": "tortillas ready-to-bake or -fry corn",
    # High-intensity sweeteners by their sweetening agent or best-known brand.
    "aspartame": "sweeteners tabletop aspartame",
    "sucralose": "sweeteners tabletop sucralose",
    "splenda": "sweeteners tabletop sucralose",
    "saccharin": "sweeteners tabletop saccharin",
    # Strawberry milk is milk sweetened with strawberry syrup or powder.
    "strawberry milk": "strawberry-flavor beverage mix powder prepared with whole milk",
    "hi-c": "fruit juice drink",
    "sunny d": "orange drink",
    "sunny delight": "orange drink",
    "pbj": "peanut butter jelly",
    # Burritos as served (fast-food style recipes), not the dense frozen microwave product.
    "burrito": "fast foods burrito",
    "burritos": "fast foods burrito",
    "mac and cheese": "macaroni and cheese",
    "mac n cheese": "macaroni and cheese",
    "fries": "potato french fried",
    "french fries": "potato french fried",
    "ketchup": "catsup",
    "donut": "doughnut",
    "donuts": "doughnut",
    "yoghurt": "yogurt",
    "hotdog": "fast foods hotdog plain",
    "hot dog": "fast foods hotdog plain",
    "frankfurter sandwich": "fast foods hotdog plain",
    "hot dog sandwich": "fast foods hotdog plain",
    "sub": "submarine sandwich",
    "subs": "submarine sandwich",
    "hoagie": "submarine sandwich",
    "hoagies": "submarine sandwich",
    "snack-mix": "snacks mixed snack",
    "snack-cake": "cake snack cakes",
    "snack-bar": "snacks granola bar",
    "chips": "potato chips",
    "chocolate chips": "candies semisweet chocolate",
    "banana chips": "banana chips",
    "pita chips": "pita chips",
    "bagel chips": "bagel chips",
    "plantain chips": "plantain chips",
    "kale chips": "kale chips",
    "veggie chips": "vegetable chips",
    "omelette": "egg omelet",
    "scrambled eggs": "egg whole cooked scrambled",
    "scrambled egg": "egg scrambled",
    "fried egg": "egg fried",
    "fried eggs": "egg fried",
    "boiled egg": "egg hard-boiled",
    "boiled eggs": "egg hard-boiled",
    "hard boiled egg": "egg hard-boiled",
    "poached egg": "egg poached",
    "pb&j": "peanut butter jelly",
    "evoo": "olive oil",
    "mayo": "mayonnaise",
    "milkshake": "milk shake",
    "popsicle": "ice pop",
    "jello": "gelatin dessert",
    "jell-o": "gelatin dessert",
    "hash browns": "potatoes hash brown",
    "hashbrowns": "potatoes hash brown",
    "veggies": "vegetables mixed",
    "chicken nuggets": "chicken nuggets",
    "chickpeas": "chickpeas cooked",
    "olive oil": "oil olive",
    "french toast": "french toast",
    "cheese toast": "cheese toast",
}

# What a bare word means when it is the whole food phrase ("rice" is cooked white rice); with
# other words around it ("rice pudding") the phrase is matched as written.
DEFAULT_FORMS: dict[str, str] = {
    # Most french fries eaten in the US come from restaurants and chains (USDA ERS: the bulk of
    # frozen fries go to food service), fried in oil; "oven" or "frozen" fries say otherwise.
    "fries": "fast foods potato french fried in vegetable oil",
    "french fries": "fast foods potato french fried in vegetable oil",
    # Canned fruit cocktail in the middle pack (light syrup), with what is in the can.
    "fruit cocktail": "fruit cocktail canned light syrup solids and liquids",
    # A pudding cup as sold ready to eat, vanilla unless a flavour is said.
    "pudding": "puddings vanilla ready-to-eat",
    "meat": "beef ground cooked",
    # Bare meat words mean the everyday cooked cut, not cured, pickled or processed forms.
    "pork": "pork fresh loin whole separable lean and fat cooked roasted",
    "beef": "beef ground 85% lean meat crumbles cooked",
    "fish": "fish cod atlantic cooked dry heat",
    # A biscuit as bought or served (~2.5-3", 35-75 g), not USDA's 4" recipe biscuit.
    "biscuit": "biscuits plain or buttermilk frozen baked",
    "biscuits": "biscuits plain or buttermilk frozen baked",
    "enchilada": "restaurant mexican cheese enchilada",
    "enchiladas": "restaurant mexican cheese enchilada",
    "taco": "fast foods taco with beef cheese and lettuce hard shell",
    "tacos": "fast foods taco with beef cheese and lettuce hard shell",
    "lasagna": "lasagna with meat sauce frozen prepared",
    "lasagne": "lasagna with meat sauce frozen prepared",
    "juice": "apple juice canned or bottled unsweetened",
    "fruit juice": "apple juice canned or bottled unsweetened",
    "meats": "beef ground cooked",
    "drumstick": "chicken drumstick meat and skin cooked roasted",
    "drumsticks": "chicken drumstick meat and skin cooked roasted",
    "soymilk": "soymilk original and vanilla",
    "soy milk": "soymilk original and vanilla",
    "vegetables": "vegetables mixed frozen cooked boiled drained",
    "vegetable": "vegetables mixed frozen cooked boiled drained",
    "mixed vegetables": "vegetables mixed frozen cooked boiled drained",
    "fruit": "apples raw with skin",
    "fresh fruit": "apples raw with skin",
    "piece of fruit": "apples raw with skin",
    "toast": "bread white commercially prepared toasted",
    "white toast": "bread white commercially prepared toasted",
    "wheat toast": "bread wheat toasted",
    "whole wheat toast": "bread whole-wheat commercially prepared toasted",
    "buttered toast": "bread white commercially prepared toasted",
    "bottled water": "water bottled generic",
    "tap water": "water tap drinking",
    "black coffee": "coffee brewed prepared with tap water",
    "green tea": "tea brewed green",
    "iced tea": "tea ready-to-drink",
    "red wine": "alcoholic beverage wine table red",
    "white wine": "alcoholic beverage wine table white",
    "brown rice": "rice brown cooked",
    "mashed potatoes": "potatoes mashed",
    "baked potato": "potatoes baked flesh and skin",
    "sweet potato": "sweet potato cooked baked",
    "pork chop": "pork chop cooked",
    "ground beef": "beef ground cooked",
    "hamburger patty": "beef ground patty cooked",
    "chicken breast": "chicken breast meat only cooked roasted",
    "chicken thigh": "chicken thigh meat only cooked roasted",
    "chicken wings": "chicken wing cooked",
    "cream cheese": "cream cheese",
    "cottage cheese": "cheese cottage creamed large or small curd",
    "maple syrup": "syrups maple",
    "skim milk": "milk nonfat fluid",
    "whole milk": "milk whole 3.25% milkfat",
    "chocolate milk": "milk chocolate fluid",
    "almond milk": "almond milk",
    "whole wheat bread": "bread whole-wheat commercially prepared",
    "dark chocolate": "chocolate dark",
    "green beans": "beans snap green cooked",
    "vegetable oil": "oil vegetable",
    "protein shake": "beverages protein powder",
    "cola": "carbonated beverage cola",
    "pop": "carbonated beverage cola",
    "lemonade": "lemonade frozen concentrate prepared",
    "water": "water tap drinking",
    "coffee": "coffee brewed prepared with tap water",
    "espresso": "coffee brewed espresso restaurant-prepared",
    "tea": "tea brewed prepared with tap water",
    "beer": "alcoholic beverage beer regular all",
    "wine": "alcoholic beverage wine table",
    "mac": "macaroni",
    "whiskey": "alcoholic beverage distilled whiskey 86 proof",
    "whisky": "alcoholic beverage distilled whiskey 86 proof",
    "bourbon": "alcoholic beverage distilled whiskey 86 proof",
    "scotch": "alcoholic beverage distilled whiskey 86 proof",
    "vodka": "alcoholic beverage distilled vodka 80 proof",
    "rum": "alcoholic beverage distilled rum 80 proof",
    "gin": "alcoholic beverage distilled gin 90 proof",
    "tequila": "alcoholic beverage distilled all gin rum vodka whiskey 80 proof",
    # A burrito as served (fast-food style recipes, ~20-30 g carbs/100 g), not the dense frozen
    # microwave product; named fillings ("with meat, beans") refine it.
    "burrito": "fast foods burrito with beans and beef",
    "burritos": "fast foods burrito with beans and beef",
    "chips": "potato chips",
    "crisps": "potato chips",
    # A plain "hamburger" is the single-patty sandwich, not a chain's triple-patty one.
    "burger": "hamburger single regular patty with condiments",
    "hamburger": "hamburger single regular patty with condiments",
    "cheeseburger": "cheeseburger single regular patty with condiments",
    "frank": "frankfurter",
    "oatmeal": "cereals oats regular and quick cooked with water",
    "porridge": "oats cooked",
    "oats": "oats",
    "pasta": "pasta cooked",
    "noodles": "noodles cooked",
    "spaghetti": "pasta cooked enriched",
    "rice": "rice white cooked",
    "omelet": "egg omelet",
    "shake": "milk shake",
    # A blended fruit smoothie as sold by juice bars and chains (12 fl oz, fruit and yogurt).
    "smoothie": "fast foods strawberry banana smoothie made with ice and low-fat yogurt",
    "pancake": "pancakes",
    "waffle": "waffles",
    "veg": "vegetables mixed",
    # A plain (green) salad: USDA SR28 has no mixed green salad, lettuce is the bulk of one.
    "salad": "lettuce green leaf raw",
    "green salad": "lettuce green leaf raw",
    "side salad": "lettuce green leaf raw",
    "garden salad": "lettuce green leaf raw",
    "steak": "beef steak cooked",
    "bacon": "bacon pork cured cooked pan-fried",
    "ham": "ham sliced",
    "sausage": "sausage cooked",
    "chicken": "chicken broilers or fryers meat only cooked roasted",
    "turkey": "turkey meat roasted",
    "salmon": "salmon cooked",
    "tuna": "tuna canned light water",
    "shrimp": "shrimp cooked",
    "tofu": "tofu",
    "beans": "beans cooked",
    "lentils": "lentils cooked boiled",
    "hummus": "hummus commercial",
    "cheese": "cheese cheddar",
    "butter": "butter salted",
    "margarine": "margarine",
    "sugar": "sugars granulated",
    "honey": "honey",
    "jam": "jams and preserves",
    "jelly": "jams and preserves",
    "syrup": "syrups table blends pancake",
    "milk": "milk whole 3.25% milkfat",
    "ice cream": "ice creams vanilla",
    "cereal": "cereals ready-to-eat",
    "granola": "granola",
    "bagel": "bagels plain",
    "muffin": "muffins plain",
    "croissant": "croissants butter",
    "bread": "bread white commercially prepared",
    "roll": "rolls dinner plain commercially prepared",
    "dinner-roll": "rolls dinner plain commercially prepared",
    "pita": "bread pita white",
    "bun": "rolls hamburger or hotdog",
    "tortilla": "tortillas",
    "pizza": "pizza",
    "sandwich": "sandwich",
    "apple": "apples raw with skin",
    "banana": "bananas raw",
    "orange": "oranges raw",
    # Table grapes (Thompson seedless and the like), not muscadines.
    "grapes": "grapes red or green european type raw",
    "strawberries": "strawberries raw",
    "blueberries": "blueberries raw",
    "avocado": "avocados raw",
    # Snack peanuts are roasted and salted (boiled peanuts are said as such).
    "peanuts": "peanuts all types roasted with salt",
    "almonds": "nuts almonds",
    "walnuts": "nuts walnuts",
    "cashews": "nuts cashew",
    "nuts": "nuts mixed",
    # Most popcorn eaten (microwave, movie theater) is popped in oil; "air-popped" says so.
    "popcorn": "snacks popcorn oil-popped white popcorn salt added",
    "pretzels": "snacks pretzels hard",
    "crackers": "crackers",
    "cookie": "cookies chocolate chip commercially prepared",
    "cake": "cake yellow commercially prepared with vanilla frosting",
    "pie": "pie apple commercially prepared enriched flour",
    "candy": "candies",
    "chocolate": "candies milk chocolate",
    "gum": "chewing gum",
    "broccoli": "broccoli cooked",
    "carrots": "carrots raw",
    "spinach": "spinach raw",
    "corn": "corn sweet yellow cooked",
    "peas": "peas green cooked",
    "potato": "potatoes baked flesh and skin",
    "potatoes": "potatoes baked flesh and skin",
    "oil": "oil vegetable",
    "dressing": "salad dressing",
    "ranch": "salad dressing ranch",
    "salsa": "salsa",
    "soup": "soup",
    "whey": "whey protein powder",
}

# Query words that stand for several USDA spellings; a food matches if it contains any of them.
TOKEN_ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "grilled": ("grilled", "broiled", "roasted"),
    "roasted": ("roasted", "roast", "baked"),
    "baked": ("baked", "roasted"),
    "boiled": ("boiled", "cooked", "steamed"),
    "steamed": ("steamed", "boiled", "cooked"),
    "sauteed": ("sauteed", "fried", "pan-fried"),
    "fried": ("fried", "pan-fried", "fried in"),
    "cooked": ("cooked", "boiled", "roasted", "baked", "prepared"),
    "nonfat": ("nonfat", "fat-free", "fat free", "skim"),
    "free": ("free", "sugarless"),  # "sugar-free gum" is USDA's "sugarless" gum
    "skim": ("nonfat", "skim", "fat-free"),
    "lowfat": ("lowfat", "low-fat", "low fat", "1%"),
    "unsweetened": ("unsweetened", "without added sugar", "no sugar"),
    "sweetened": ("sweetened", "with added sugar"),
    "wholewheat": ("whole-wheat", "whole wheat", "whole grain"),
    "doughnut": ("doughnut", "doughnuts"),
    "mix": ("mix", "mixed"),
    "meat": ("meat", "beef"),  # "a burrito with meat": USDA dishes name the meat
    "mixed": ("mixed", "mix"),
}

# Words in a USDA description that mark forms people rarely eat as such. Unless the query asks
# for them, foods carrying them are pushed down.
PENALTY_TERMS: dict[str, float] = {
    "dry mix": 0.25,
    "mix": 0.08,
    "powder": 0.15,
    "dry": 0.12,
    "dried": 0.08,
    "dehydrated": 0.2,
    "industrial": 0.3,
    "babyfood": 0.35,
    "infant": 0.35,
    "toddler": 0.3,
    "frozen": 0.04,
    "unprepared": 0.15,
    "as purchased": 0.06,
    "concentrate": 0.12,
    "condensed": 0.1,
    "evaporated": 0.1,
    "uncooked": 0.15,
    "unheated": 0.1,
    "imitation": 0.12,
    "meatless": 0.25,
    "pickled": 0.1,
    "surimi": 0.1,
    "formulated": 0.08,
    "fortified": 0.03,
    "flour": 0.12,
    "meal": 0.06,
    "paste": 0.08,
    "oil-roasted": 0.03,
    "unenriched": 0.03,
    "low sodium": 0.03,
    "no salt": 0.03,
    "without salt": 0.02,
    "reduced sodium": 0.02,
    "school lunch": 0.05,
    "usda commodity": 0.05,
    "restaurant": 0.02,
    "alaska native": 0.3,
    "navajo": 0.3,
    "hopi": 0.3,
    "apache": 0.3,
    "shoshone": 0.3,
    "raw": 0.0,  # handled per group below
    "separable fat": 0.2,
    "rendered fat": 0.25,
    "dough": 0.12,  # refrigerated dough is baked before it is eaten
    "variety meats": 0.2,
    "by-products": 0.2,
    "glucose reduced": 0.1,
    "stabilized": 0.05,
    "salted": 0.0,
    "with added nonfat milk solids": 0.02,
    "protein fortified": 0.04,
    "select": 0.02,
    "choice": 0.01,
    "trimmed to 1/8": 0.01,
    "trimmed to 1/4": 0.02,
    "heated": 0.0,
    "canned": 0.02,
    "diet": 0.05,
    "extender": 0.2,
    "low carb": 0.05,
    "reduced sugar": 0.05,
    "no sugar added": 0.05,
    "sugar free": 0.06,
    "zero": 0.05,
    "nonfat": 0.04,
    "fat free": 0.04,
    "fat-free": 0.04,
    "low fat": 0.03,
    "lowfat": 0.03,
    "reduced fat": 0.03,
    "light": 0.03,
    "low calorie": 0.06,
    "sugar-free": 0.06,
    "reduced calorie": 0.06,
}

# Groups where "raw" means "not how people eat it": meat, fish, grains, legumes, potatoes.
RAW_PENALTY_GROUPS: dict[str, float] = {
    "Beef Products": 0.18,
    "Pork Products": 0.18,
    "Lamb, Veal, and Game Products": 0.18,
    "Poultry Products": 0.18,
    "Finfish and Shellfish Products": 0.1,
    "Cereal Grains and Pasta": 0.2,
    "Legumes and Legume Products": 0.15,
    "Sausages and Luncheon Meats": 0.1,
}

# Prior for each food group: how likely a plain word refers to a food of that group.
GROUP_PRIOR: dict[str, float] = {
    "Baby Foods": -0.3,
    "American Indian/Alaska Native Foods": -0.3,
    "Restaurant Foods": -0.03,
    "Fast Foods": -0.04,
    "Lamb, Veal, and Game Products": -0.05,
    "Spices and Herbs": -0.03,
    "Meals, Entrees, and Side Dishes": -0.01,
}

# Query words that lift the penalty of a group ("baby carrots" is not baby food, "babyfood" is).
GROUP_TRIGGERS: dict[str, frozenset[str]] = {
    "Baby Foods": frozenset(
        {"babyfood", "infant", "toddler", "baby-food", "strained", "junior", "teething"}
    ),
    "American Indian/Alaska Native Foods": frozenset(
        {"alaska", "native", "navajo", "hopi", "apache", "shoshone", "whale", "seal", "caribou"}
    ),
    "Fast Foods": frozenset({"fast", "mcdonald's", "mcdonalds", "burger", "wendy's", "kfc"}),
    "Restaurant Foods": frozenset({"restaurant", "takeout", "take-out"}),
}

# Words that describe how food was prepared; used to prefer the matching prepared form.
COOKING_WORDS: frozenset[str] = frozenset(
    {
        "scrambled",
        "fried",
        "grilled",
        "broiled",
        "roasted",
        "baked",
        "boiled",
        "hard-boiled",
        "soft-boiled",
        "steamed",
        "poached",
        "sauteed",
        "stewed",
        "braised",
        "toasted",
        "mashed",
        "raw",
        "cooked",
        "smoked",
        "pan-fried",
        "deep-fried",
        "microwaved",
    }
)

# Descriptive words in USDA names that add little meaning; extra ones in a name cost less.
NEUTRAL_NAME_WORDS: frozenset[str] = frozenset(
    """
    raw fresh whole cooked prepared regular plain commercial commercially ns all types type
    fluid with added vitamin a d and or without salt salted includes include enriched
    ready-to-eat ready-to-serve ready to eat serve drink made from recipe generic brand
    vitamins vitamin c iron calcium milkfat fortified boneless skinless meat only edible portion
    lean fat varieties variety style from in water drained solids liquids heated tap
    drinking boiled roasted baked plain nfs white yellow usda commodity
    """.split()
)

# --- as-eaten forms and typical portions ------------------------------------------------------

# Hot cereals are sold dry but eaten cooked: a name with one of these words that is not a
# cooked/prepared form is the powder, which nobody means by "a bowl of instant oatmeal".
HOT_CEREAL_WORDS: tuple[str, ...] = (
    "oatmeal",
    "instant",
    "grits",
    "farina",
    "cream of wheat",
    "cream of rice",
    "malt-o-meal",
    "hot wheat",
    "wheatena",
)
# Query words that do ask for the dry product.
DRY_FORM_WORDS: frozenset[str] = frozenset({"dry", "uncooked", "raw", "powder", "powdered"})

# Typical US portion weights (grams) for dishes whose USDA SR28 household measure is often a
# small reference piece (a 1/9-of-a-frozen-pizza serving, a 57 g recipe muffin). Keyed by the
# phrase's head noun, then by unit: "each" is one item with no unit ("a calzone"); size words
# ("small", "medium", "large") apply to "each". Values are rounded approximations of the usual
# sizes in USDA FNDDS portion descriptions and US retail/restaurant package labels:
#   pizza slice: 1/8 of a 14" medium-crust pizza (~105-115 g); whole pizzas: 10"/12"/14"
#   (~400/600/850 g), personal/individual 6-7" ~250 g; pizzeria calzone ~1 lb, stromboli ~12 oz;
#   bakery/commercial muffin ~4 oz (SR28's 57 g muffin is a small home-recipe one).
# Used only when the matched food is that dish (its name has the head noun, or the head noun is a
# lexicon synonym for it) and its own measure is clearly smaller (see units.typical_portion).
TYPICAL_PORTIONS: dict[str, dict[str, float]] = {
    "pizza": {
        "slice": 110.0,
        "piece": 110.0,
        "serving": 110.0,
        "each": 600.0,
        "small": 400.0,
        "medium": 600.0,
        "large": 850.0,
        "extra large": 1000.0,
        "personal": 250.0,
    },
    "muffin": {"each": 113.0, "medium": 113.0, "large": 140.0},
    "calzone": {"each": 450.0, "serving": 450.0, "small": 300.0, "large": 560.0},
    "stromboli": {"each": 340.0, "slice": 110.0, "piece": 110.0},
    # Movie-theater popcorn tubs (about 5, 9 and 13 cups of popped corn at ~11 g a cup).
    "popcorn": {"small": 55.0, "medium": 100.0, "large": 140.0},
    # Bakery and coffee-shop cookies: ~2.5" small ~20 g, ~3" medium ~30 g, 3.5-4" large ~45 g
    # (USDA's "medium" is a 10-16 g packaged cookie).
    "cookie": {"small": 20.0, "medium": 30.0, "large": 45.0, "jumbo": 60.0},
    # A bakery or shop doughnut (~3.5" across) weighs 60-80 g; USDA's picks include the hole.
    "doughnut": {"each": 70.0, "small": 45.0, "medium": 70.0, "large": 95.0},
    "donut": {"each": 70.0, "small": 45.0, "medium": 70.0, "large": 95.0},
    # Bakery danish and frosted cinnamon rolls sold singly run 85-140 g.
    "danish": {"each": 90.0, "small": 55.0, "medium": 90.0, "large": 140.0},
    "pastry": {"each": 90.0, "small": 55.0, "medium": 90.0, "large": 140.0},
    "cinnamon bun": {"each": 85.0, "small": 55.0, "medium": 85.0, "large": 140.0},
    "cinnamon roll": {"each": 85.0, "small": 55.0, "medium": 85.0, "large": 140.0},
    # Restaurant pancakes: 4" ~40 g, 6" ~75 g, a 7-8" "large" one ~110 g.
    "pancake": {"large": 80.0, "extra large": 110.0, "jumbo": 110.0},
    "bagel": {"each": 100.0, "medium": 100.0},
    # A bakery or restaurant slice of cheesecake is 4-5 oz (USDA's 1/6 of a 17 oz cake is 80 g).
    "cheesecake": {"each": 125.0, "piece": 125.0, "slice": 125.0, "serving": 125.0},
    # Not a (quick-bread) muffin: USDA's own 57 g English muffin stands.
    "english muffin": {},
    # A standard stick lollipop weighs 15-20 g (USDA's hard candy "piece" is a 6 g drop).
    "lollipop": {"each": 17.0, "small": 10.0, "large": 28.0},
    # A gordita (a corn masa cake ~4" across and 1/4" thick) weighs about twice a 6" corn
    # tortilla's 26 g.
    "gordita": {"each": 50.0, "small": 35.0, "medium": 50.0, "large": 65.0},
}

# Round dishes served cut into wedges, by how many: "a slice of quesadilla" is one wedge of it
# (an 8-10" quesadilla is cut into 6 at restaurants and in USDA FNDDS' "1 slice" portions).
WEDGES_PER_ITEM: dict[str, int] = {"quesadilla": 6}

# Ice cream shop cups by size: one, two and three scoops, about 4.5, 8 and 12 oz (Baskin-Robbins
# scoops are 4 oz; Cold Stone's Like It / Love It / Gotta Have It are 5 / 8 / 12 oz).
ICE_CREAM_SHOP_GRAMS: dict[str, float] = {"small": 130.0, "medium": 230.0, "large": 340.0}
# What is served by the shop cup: ice cream and its frozen look-alikes.
ICE_CREAM_HEADS: tuple[str, ...] = ("ice cream", "frozen yogurt", "sherbet", "gelato")

# Grams in a bag of chips, puffs or other snack food by its size word, when the food has no bag
# measure of a single-serving size: vending (1 oz), "medium"/grab bag (2 oz), large (3 oz).
SNACK_BAG_GRAMS: dict[str, float] = {
    "mini": 28.0,
    "small": 28.0,
    "medium": 57.0,
    "large": 85.0,
    "extra large": 113.0,
}

# --- composed dishes -------------------------------------------------------------------------

# A sandwich USDA has no entry for ("a tuna salad sandwich", "grilled cheese on wheat") is its
# bread plus its filling. Bread words in the phrase pick the bread; the rest is the filling.
SANDWICH_NOUNS: frozenset[str] = frozenset({"sandwich", "sandwiches"})
# Phrases where "sandwich" names a different food (a cookie, a cracker, a frozen dessert).
NOT_SANDWICH_WORDS: frozenset[str] = frozenset(
    """
    ice cream cookie cookies cracker crackers oreo oreos wafer wafers spread sandwich-style
    """.split()
)
# Bread word in the phrase -> (words to match the bread, how many of them a sandwich uses).
# Two slices of sandwich bread (~26-32 g each, USDA SR28 "1 slice") or one roll/biscuit/etc.
SANDWICH_BREADS: tuple[tuple[str, str, float], ...] = (
    ("croissant", "croissants butter", 1.0),
    ("biscuit", "biscuits plain or buttermilk frozen baked", 1.0),
    ("bagel", "bagels plain", 1.0),
    ("english", "english muffins plain", 1.0),
    ("bun", "rolls hamburger or hotdog plain", 1.0),
    ("roll", "rolls hamburger or hotdog plain", 1.0),
    ("hoagie", "rolls hamburger or hotdog plain", 2.0),
    ("sub", "rolls hamburger or hotdog plain", 2.0),
    ("pita", "bread pita white", 1.0),
    ("wrap", "tortillas ready-to-bake or -fry flour", 1.0),
    ("tortilla", "tortillas ready-to-bake or -fry flour", 1.0),
    ("rye", "bread rye", 2.0),
    ("sourdough", "bread french or vienna", 2.0),
    ("multigrain", "bread multi-grain", 2.0),
    ("whole", "bread whole-wheat commercially prepared", 2.0),
    ("wheat", "bread wheat", 2.0),
)
# Main fillings that tell USDA's listed sandwiches apart (singular, as the matcher stems them).
SANDWICH_FILLINGS: frozenset[str] = frozenset(
    """
    fish chicken steak beef ham turkey egg sausage bacon tuna pork roast salmon shrimp crab
    """.split()
)
# Sandwich fillings spread by the spoonful rather than layered by the ounce.
SPREAD_WORDS: frozenset[str] = frozenset(
    "jelly jam preserves marmalade peanut nutella honey butter mayo mayonnaise spread".split()
)
NUT_SPREAD_WORDS: frozenset[str] = frozenset({"peanut", "nutella", "almond", "cashew", "hazelnut"})
DEFAULT_SANDWICH_BREAD = "bread white commercially prepared soft crumbs"
# Share of a weighed sandwich's weight that is bread: two ~28 g slices in a 110-180 g sandwich.
SANDWICH_BREAD_SHARE = 0.4
# A cheese or spread sandwich (two slices of bread, one or two of cheese): ~55% bread.
THIN_SANDWICH_BREAD_SHARE = 0.55
THIN_FILLINGS: frozenset[str] = frozenset(
    """
    cheese american cheddar swiss provolone mozzarella pepper jack muenster processed reduced fat
    low lowfat reduced-fat grilled melted peanut butter jelly jam preserves honey nutella spread
    cream and
    """.split()
)
# Sealed crustless sandwiches (Smucker's Uncrustables) weigh 2 oz, bread and filling together.
CRUSTLESS_WORDS: frozenset[str] = frozenset({"crustless", "uncrustable", "uncrustables"})
CRUSTLESS_SANDWICH_GRAMS = 57.0
# Words that say how the sandwich was made, not what is in it.
SANDWICH_STYLE_WORDS: frozenset[str] = frozenset(
    """
    grilled toasted bread slice slices white open-faced open faced classic regular deli
    homemade crustless frozen half double triple club plain
    """.split()
)

# Plural category nouns that head a list ("a couple of soft drinks: a cola and a root beer",
# "snacks: chips and a cookie"): before a colon they name no food of their own.
CATEGORY_NOUNS: frozenset[str] = frozenset(
    """
    drinks beverages sodas soft snacks fruits vegetables veggies sweets treats desserts items
    things foods dishes sides
    """.split()
)

# A category word standing for foods already listed ("one fruit" after "a pear") -> group.
CATEGORY_GROUPS: dict[str, str] = {
    "fruit": "Fruits and Fruit Juices",
    "vegetable": "Vegetables and Vegetable Products",
    "veggie": "Vegetables and Vegetable Products",
}

# A weighed starch served as a mixed dish ("250 g of pasta with cream sauce and chicken",
# "200 g of rice mixed with vegetables"): the weight covers the whole dish, and the
# starch is roughly 60% of it in typical USDA FNDDS mixed-dish recipes (the rest is sauce, meat
# and vegetables, lower in carbohydrate).
STARCH_GROUPS: frozenset[str] = frozenset({"Cereal Grains and Pasta"})
STARCH_SHARE_OF_DISH = 0.6
DISH_PART_WORDS: frozenset[str] = frozenset(
    """
    sauce sauces gravy meat meats beef chicken pork poultry turkey sausage shrimp fish seafood
    vegetables vegetable veggies beans cheese tomato tomatoes egg eggs tofu ham bacon meatballs
    """.split()
)

# Dishes whose "with ..." names what is inside them ("a burrito with rice and beans").
FILLED_DISHES: frozenset[str] = frozenset(
    """
    burrito burritos taco tacos quesadilla quesadillas enchilada enchiladas tamale tamales wrap
    wraps omelet omelets omelette calzone empanada empanadas gordita chalupa fajita fajitas
    crepe crepes pita soup soups stew stews chili casserole pizza pizzas
    """.split()
)
DISH_FILLINGS: frozenset[str] = frozenset(
    """
    rice egg eggs potato potatoes sausage bacon ham turkey steak fish shrimp tuna guacamole
    salsa lettuce spinach mushrooms mushroom chorizo carnitas pasta noodles noodle carrots celery
    corn peas chunks chunk pieces bits pepperoni olives pineapple jalapenos anchovies
    """.split()
)

# A plate or frozen dinner of meat "with potatoes and vegetables": the sides are foods of their
# own. A weight given for the plate is shared: the meat about 40% (50% beside one side), the
# sides the rest, as in USDA FNDDS frozen-meal and plate recipes.
PLATE_SIDES: frozenset[str] = frozenset(
    """
    potato potatoes rice noodles pasta macaroni vegetable vegetables veggies dressing stuffing
    corn peas carrots broccoli beans green-beans fries
    """.split()
)
# Words that describe a side ("whipped potatoes", "assorted vegetables").
PLATE_SIDE_ADJECTIVES: frozenset[str] = frozenset(
    "whipped mashed steamed mixed assorted buttered seasoned white brown fried baked".split()
)
# What a bare side word means on a plate or tray: "dressing" beside turkey is bread stuffing.
PLATE_SIDE_FORMS: dict[str, str] = {"dressing": "bread stuffing", "stuffing": "bread stuffing"}
PLATE_MAIN_GROUPS: frozenset[str] = frozenset(
    {
        "Poultry Products",
        "Beef Products",
        "Pork Products",
        "Lamb, Veal, and Game Products",
        "Finfish and Shellfish Products",
        "Sausages and Luncheon Meats",
        "Meals, Entrees, and Side Dishes",
    }
)
PLATE_MAIN_SHARE = 0.4
# A plate or frozen dinner named without a weight: about 12 oz (US frozen dinners are 9-14 oz).
TYPICAL_PLATE_GRAMS = 340.0
PLATE_MAIN_SHARE_ONE_SIDE = 0.5

# What is spread on bread and breakfast cakes, or stirred into coffee and tea, when only named
# ("a bagel with cream cheese", "coffee with cream and sugar"): its own item at the FDA's
# reference amount customarily consumed (21 CFR 101.12) per piece or cup, except butter on bread
# (a pat, 5 g) and sugar in a drink (a teaspoon). Longest names first.
ADDIN_HOSTS: frozenset[str] = frozenset(
    "bagel toast bread muffin biscuit roll croissant pancake waffle coffee tea".split()
)
ADDINS: tuple[tuple[str, str, float, str], ...] = (
    ("cream cheese", "cream cheese", 2.0, "tbsp"),
    ("peanut butter", "peanut butter", 2.0, "tbsp"),
    ("half-and-half", "half-and-half", 1.0, "tbsp"),
    ("butter", "butter", 1.0, "pat"),
    ("margarine", "margarine", 1.0, "pat"),
    ("jam", "jam", 1.0, "tbsp"),
    ("jelly", "jelly", 1.0, "tbsp"),
    ("preserves", "jam", 1.0, "tbsp"),
    ("honey", "honey", 1.0, "tbsp"),
    ("syrup", "syrup", 0.25, "cup"),
    ("creamer", "creamer", 1.0, "tbsp"),
    ("cream", "half-and-half", 1.0, "tbsp"),
    ("milk", "milk", 2.0, "tbsp"),
    ("sugar", "sugar", 1.0, "tsp"),
)

# Highballs: a spirit mixed with a soft drink ("whiskey and ginger ale", "rum and coke").
SPIRITS: frozenset[str] = frozenset(
    "whiskey whisky bourbon scotch rum vodka gin tequila brandy".split()
)
MIXERS: frozenset[str] = frozenset(
    "soda club ginger ale tonic cola coke pepsi sprite juice lemonade seltzer".split()
)

# Words that describe a food's form, style or labelling but never identify it: a match that
# shares only these with the phrase is not a match (see parser._item).
FORM_ONLY_WORDS: frozenset[str] = frozenset(
    """
    powder organic style traditional type nutritional flavored flavor original regular classic
    homemade natural brand kid size light fresh plain mix instant ready serve easy open
    dish dishes plate entree meal recipe creation
    mexican italian chinese american southern asian cajun puerto rican latino greek indian
    """.split()
)

# Form words that may close a food phrase without being its head noun ("SlimFast nutritional
# powder", "cocoa mix"): the word before them is what the phrase is about.
NOT_HEAD_WORDS: frozenset[str] = frozenset(
    "powder nutritional mix instant organic natural original classic homemade traditional".split()
)

# "chicken, rice and vegetables, all in a 9 oz portion", "... from the 11 oz frozen meal": a
# weight stated for the whole plate or tray is shared out over the foods listed before it.
TOTAL_MARKERS: frozenset[str] = frozenset(
    {"all", "total", "altogether", "portion", "tray", "meal", "entree", "dinner", "everything"}
)
TOTAL_PHRASE_WORDS: frozenset[str] = TOTAL_MARKERS | frozenset(
    {"frozen", "whole", "package", "packaged", "prepared", "microwave", "tv", "in", "from", "the"}
)

# Dishes mostly eaten from restaurants or chains when not said otherwise (see parser._item).
TAKEOUT_DISHES: frozenset[str] = frozenset({"pizza", "pizzas"})
TAKEOUT_HINT: tuple[str, ...] = ("fast", "food", "chain")
NOT_TAKEOUT_WORDS: frozenset[str] = frozenset(
    """
    frozen school homemade home-made microwave microwaved bagel french english muffin pocket
    pockets rolls roll snack snacks bites mini kid's kids lunchable
    """.split()
)

# Fried without saying how: battered, with skin (see parser._item).
BATTERED_WHEN_FRIED: frozenset[str] = frozenset({"chicken"})
NOT_BATTERED_WORDS: frozenset[str] = frozenset(
    """
    skinless skin meat only nugget nuggets tender tenders tenderloin strips patty patties sandwich
    rice steak liver livers gizzard gizzards feet breaded flour floured batter battered
    """.split()
)
