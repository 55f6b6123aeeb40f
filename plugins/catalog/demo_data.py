"""What the catalog's demo is made of: a bilingual category tree with its
attributes, twenty brands, and per category the words product titles are
built from, the price range, customs code and the picture to draw.

Kept apart from ``demo`` (which builds rows from it) so the data reads as a
table."""

# (English, Chinese) pairs below; spec values are listed in display order.
COLOURS = [("White", "白色"), ("Black", "黑色"), ("Red", "红色"), ("Blue", "蓝色"), ("Green", "绿色"),
           ("Grey", "灰色")]
OUTDOOR_COLOURS = [("Black", "黑色"), ("Olive", "橄榄绿"), ("Orange", "橙色"), ("Navy", "藏青"), ("Red", "红色"),
                   ("Sand", "沙色")]
TEAWARE_COLOURS = [("Celadon", "青瓷色"), ("Blue and white", "青花"), ("Black", "黑色"), ("Amber", "琥珀色")]

# category key: (English, Chinese, parent key, [(code, English, Chinese, kind, values)])
CATEGORIES = {
    "home": ("Home & Kitchen", "家居厨房", None, [
        ("colour", "Colour", "颜色", "spec", COLOURS),
        ("material", "Material", "材质", "param", [("Stainless steel", "不锈钢"), ("Ceramic", "陶瓷"),
                                                   ("Cotton", "棉"), ("Cast iron", "铸铁"), ("Glass", "玻璃")]),
    ]),
    "cookware": ("Cookware", "炊具", "home", [
        ("diameter", "Diameter", "直径", "spec", [("20 cm", "20厘米"), ("24 cm", "24厘米"), ("28 cm", "28厘米")]),
    ]),
    "tableware": ("Tableware", "餐具", "home", [
        ("set_size", "Set size", "套装件数", "spec", [("Set of 2", "2件套"), ("Set of 4", "4件套"),
                                                     ("Set of 6", "6件套")]),
    ]),
    "bedding": ("Bedding", "床上用品", "home", [
        ("bed_size", "Bed size", "床尺寸", "spec", [("Single", "单人"), ("Double", "双人"), ("King", "特大")]),
    ]),
    "outdoor": ("Outdoor", "户外", None, [
        ("colour", "Colour", "颜色", "spec", OUTDOOR_COLOURS),
        ("origin", "Made in", "产地", "param", []),
    ]),
    "tents": ("Tents", "帐篷", "outdoor", [
        ("capacity", "Capacity", "容纳人数", "spec", [("1 person", "单人"), ("2 persons", "双人"),
                                                      ("4 persons", "四人")]),
    ]),
    "backpacks": ("Backpacks", "背包", "outdoor", [
        ("volume", "Volume", "容量", "spec", [("20 L", "20升"), ("30 L", "30升"), ("45 L", "45升")]),
    ]),
    "outdoor_clothing": ("Outdoor clothing", "户外服装", "outdoor", [
        ("size", "Size", "尺码", "spec", [("S", "S"), ("M", "M"), ("L", "L"), ("XL", "XL")]),
        ("fabric", "Fabric", "面料", "param", [("Nylon", "尼龙"), ("Polyester", "涤纶"),
                                               ("Merino wool", "美利奴羊毛"), ("Waterproof membrane", "防水膜")]),
    ]),
    "jackets": ("Jackets", "夹克", "outdoor_clothing", []),
    "tshirts": ("T-shirts", "T恤", "outdoor_clothing", []),
    "tea": ("Tea", "茶", None, []),
    "loose_tea": ("Loose-leaf tea", "散茶", "tea", [
        ("net_weight", "Net weight", "净含量", "spec", [("50 g", "50克"), ("100 g", "100克"), ("250 g", "250克")]),
        ("packaging", "Packaging", "包装", "spec", [("Tin", "罐装"), ("Pouch", "袋装")]),
        ("grade", "Grade", "等级", "param", [("Premium", "特级"), ("First grade", "一级"), ("Second grade", "二级")]),
        ("harvest", "Harvest", "采摘季", "param", []),
    ]),
    "green_tea": ("Green tea", "绿茶", "loose_tea", []),
    "black_tea": ("Black tea", "红茶", "loose_tea", []),
    "oolong": ("Oolong", "乌龙茶", "loose_tea", []),
    "teaware": ("Teaware", "茶具", "tea", [
        ("colour", "Colour", "颜色", "spec", TEAWARE_COLOURS),
        ("pieces", "Pieces", "件数", "spec", [("1 piece", "单件"), ("Set of 4", "4件套"), ("Set of 6", "6件套")]),
    ]),
}

BRANDS = [
    ("Lotus Kitchen", "莲花厨房"), ("Northwind Home", "北风家居"), ("Porcelain Crane", "瓷鹤"),
    ("Silk Road Linen", "丝路家纺"), ("Iron Hearth", "铁炉"), ("Jade Table", "玉桌"),
    ("Summit Peak", "峰顶"), ("Blue River", "蓝河"), ("Trailhead", "步道"), ("Alpine Fox", "高山狐"),
    ("Cloud Nine Gear", "九霄装备"), ("Red Maple", "红枫"), ("Wild Tern", "野燕鸥"),
    ("Panda Tea", "熊猫茶"), ("West Lake", "西湖"), ("Wuyi Mountain", "武夷山"), ("Yunnan Leaf", "云南叶"),
    ("Golden Bud", "金芽"), ("Misty Valley", "雾谷"), ("Celadon", "青瓷"),
]

# leaf category key: (brands, adjectives, nouns, (low, high) price, HS code, picture, weight g)
PRODUCT_KINDS = {
    "cookware": (["Lotus Kitchen", "Iron Hearth", "Northwind Home"],
                 [("Non-stick", "不粘"), ("Tri-ply", "三层钢"), ("Classic", "经典"), ("Everyday", "日常")],
                 [("frying pan", "煎锅"), ("wok", "炒锅"), ("saucepan", "奶锅"), ("stock pot", "汤锅"),
                  ("casserole", "炖锅")], (89, 699), "732393", "pan", 1400),
    "tableware": (["Porcelain Crane", "Jade Table", "Northwind Home"],
                  [("Glazed", "釉面"), ("Bone china", "骨瓷"), ("Rustic", "粗陶"), ("Minimal", "极简")],
                  [("dinner plates", "餐盘"), ("rice bowls", "饭碗"), ("soup bowls", "汤碗"), ("mugs", "马克杯")],
                  (49, 399), "691110", "plate", 900),
    "bedding": (["Silk Road Linen", "Northwind Home"],
                [("Washed linen", "水洗亚麻"), ("Sateen", "贡缎"), ("Organic cotton", "有机棉")],
                [("duvet cover", "被套"), ("sheet set", "床单套装"), ("pillowcases", "枕套")],
                (129, 899), "630231", "bedding", 1200),
    "tents": (["Summit Peak", "Alpine Fox", "Cloud Nine Gear"],
              [("Ultralight", "超轻"), ("Four-season", "四季"), ("Family", "家庭")],
              [("dome tent", "圆顶帐篷"), ("tunnel tent", "隧道帐篷"), ("trekking tent", "徒步帐篷")],
              (89, 649), "630622", "tent", 2300),
    "backpacks": (["Trailhead", "Blue River", "Wild Tern"],
                  [("Daypack", "日用"), ("Trekking", "徒步"), ("Roll-top", "卷口")],
                  [("backpack", "背包"), ("rucksack", "双肩包")], (39, 229), "420292", "backpack", 900),
    "jackets": (["Alpine Fox", "Red Maple", "Summit Peak"],
                [("Rain", "防雨"), ("Down", "羽绒"), ("Softshell", "软壳"), ("Windproof", "防风")],
                [("jacket", "夹克"), ("parka", "派克大衣")], (79, 399), "620193", "jacket", 650),
    "tshirts": (["Blue River", "Red Maple", "Wild Tern"],
                [("Merino", "美利奴"), ("Quick-dry", "速干"), ("Trail", "越野")],
                [("T-shirt", "T恤"), ("long-sleeve top", "长袖上衣")], (19, 89), "610910", "tshirt", 180),
    "green_tea": (["West Lake", "Panda Tea", "Misty Valley"],
                  [("Spring", "春"), ("Mountain", "高山"), ("Pre-rain", "雨前")],
                  [("Longjing", "龙井"), ("Biluochun", "碧螺春"), ("Maofeng", "毛峰")], (38, 488), "090210", "tea", 0),
    "black_tea": (["Yunnan Leaf", "Wuyi Mountain", "Golden Bud"],
                  [("Golden", "金"), ("Classic", "经典"), ("Smoked", "烟熏")],
                  [("Dianhong", "滇红"), ("Keemun", "祁门红茶"), ("Lapsang souchong", "正山小种")],
                  (32, 368), "090240", "tea", 0),
    "oolong": (["Wuyi Mountain", "Panda Tea", "Misty Valley"],
               [("Roasted", "炭焙"), ("Fragrant", "清香"), ("Aged", "陈年")],
               [("Tieguanyin", "铁观音"), ("Da Hong Pao", "大红袍"), ("Dancong", "单丛")], (45, 588), "090230",
               "tea", 0),
    "teaware": (["Celadon", "Porcelain Crane", "Panda Tea"],
                [("Hand-painted", "手绘"), ("Ru kiln", "汝窑"), ("Yixing clay", "紫砂")],
                [("teapot", "茶壶"), ("tea cups", "茶杯"), ("gaiwan", "盖碗")], (59, 699), "691200", "teapot", 450),
}

# merchant code: [(leaf category key, number of products)]
ASSORTMENT = {
    "ACME": [("cookware", 22), ("tableware", 22), ("bedding", 16), ("teaware", 12)],
    "BLUE": [("tents", 14), ("backpacks", 16), ("jackets", 20), ("tshirts", 20)],
    "PANDA": [("green_tea", 18), ("black_tea", 14), ("oolong", 14), ("teaware", 12)],
}
ORIGINS = ["CN", "CN", "CN", "VN", "DE", "JP", "PT", "IT"]
REJECT_REASONS = ["The main picture shows another product; upload a photo of this one.",
                  "The Chinese title is missing the material; add it.",
                  "Prices look wrong: the list price is lower than the sale price in the description."]
