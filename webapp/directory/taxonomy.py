"""Haven's two published taxonomies, with stable codes and the words people search with."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

NAMESPACE = uuid.UUID("5a1c7d0e-3f52-4c8e-9a59-6c2f1a0b7e11")
CATEGORIES = "haven-categories"
POPULATIONS = "haven-populations"


@dataclass(frozen=True)
class Term:
    """A taxonomy term: stable code, translatable label, short description."""

    taxonomy: str
    code: str
    label: object  # a lazy gettext string
    description: str
    icon: str = ""

    @property
    def id(self) -> str:
        """A stable UUID for the term, the same on every deployment."""
        return term_id(self.taxonomy, self.code)


@functools.cache
def term_id(taxonomy: str, code: str) -> str:
    """The stable UUID of a term (computed once: an import asks for it for every record)."""
    return str(uuid.uuid5(NAMESPACE, f"{taxonomy}/{code}"))


@functools.cache
def taxonomy_id(name: str) -> str:
    """A stable UUID for one of Haven's taxonomies."""
    return str(uuid.uuid5(NAMESPACE, name))


CATEGORY_TERMS: tuple[Term, ...] = (
    Term(CATEGORIES, "hotline", _l("Hotlines"), "Telephone and text help lines", "phone"),
    Term(CATEGORIES, "emergency", _l("Emergency"), "Emergency services", "alert"),
    Term(CATEGORIES, "shelter", _l("Shelter"), "Shelters and safe houses", "home"),
    Term(CATEGORIES, "legal-aid", _l("Legal aid"), "Lawyers and legal advice", "scale"),
    Term(CATEGORIES, "counselling", _l("Counselling"), "Counselling and emotional support",
         "heart"),
    Term(CATEGORIES, "medical", _l("Medical care"), "Health care and clinics", "cross"),
    Term(CATEGORIES, "immigration", _l("Immigration"), "Immigration and visa advice", "doc"),
    Term(CATEGORIES, "employment", _l("Work and training"), "Employment and training", "tool"),
    Term(CATEGORIES, "children-youth", _l("Children and youth"), "Services for children and "
         "young people", "child"),
    Term(CATEGORIES, "basic-needs", _l("Food and basic needs"), "Food, clothing and basic needs",
         "bag"),
)
POPULATION_TERMS: tuple[Term, ...] = (
    Term(POPULATIONS, "women", _l("Women"), "Services for women"),
    Term(POPULATIONS, "men", _l("Men"), "Services for men"),
    Term(POPULATIONS, "minors", _l("Minors (under 18)"), "Services for people under 18"),
    Term(POPULATIONS, "lgbtq", _l("LGBTQ+ people"), "Services for LGBTQ+ people"),
    Term(POPULATIONS, "families", _l("Families"), "Services for families"),
    Term(POPULATIONS, "foreign-nationals", _l("Foreign nationals"),
         "Services for people from another country"),
)
ALL_TERMS = CATEGORY_TERMS + POPULATION_TERMS
BY_CODE = {(t.taxonomy, t.code): t for t in ALL_TERMS}
CATEGORY_CODES = tuple(t.code for t in CATEGORY_TERMS)
POPULATION_CODES = tuple(t.code for t in POPULATION_TERMS)

# The words a person may type for each category, in every shipped locale (and a few
# neighbours). Search data, not UI text: matched after text.fold(), with typo tolerance.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "hotline": (
        "hotline", "helpline", "help line", "phone", "call", "text line",
        "línea", "teléfono", "linea de ayuda", "ligne", "téléphone", "numéro", "linha",
        "telefone", "خط ساخن", "هاتف", "خط مساعدة", "شماره", "تلفن", "خط تلفن",
        "linie telefonică", "telefon", "linja", "телефон", "гаряча лінія", "горячая линия",
        "đường dây nóng", "điện thoại", "热线", "电话", "हेल्पलाइन", "फोन", "ስልኪ", "ቴሌፎን",
    ),
    "emergency": (
        "emergency", "danger", "police", "911", "112", "999",
        "emergencia", "urgencia", "policía", "urgence", "police", "emergência", "polícia",
        "طوارئ", "شرطة", "خطر", "اورژانس", "پلیس", "urgență", "poliție", "emergjencë",
        "policia", "екстрена", "поліція", "экстренная", "полиция", "khẩn cấp", "cảnh sát",
        "紧急", "报警", "警察", "आपातकाल", "पुलिस", "ህጹጽ", "ፖሊስ",
    ),
    "shelter": (
        "shelter", "safe house", "housing", "refuge", "place to stay", "sleep",
        "refugio", "albergue", "casa de acogida", "vivienda", "hébergement", "refuge", "abri",
        "foyer", "abrigo", "casa abrigo", "مأوى", "ملجأ", "سكن", "پناهگاه", "خانه امن",
        "adăpost", "strehë", "strehim", "притулок", "житло", "приют", "убежище", "жильё",
        "nhà tạm lánh", "chỗ ở", "庇护所", "避难所", "住所", "आश्रय", "शेल्टर", "መዕቆቢ", "መንበሪ",
    ),
    "legal-aid": (
        "legal aid", "lawyer", "attorney", "legal", "law", "court", "rights",
        "abogado", "abogada", "asesoría legal", "jurídico", "avocat", "juridique", "aide juridique",
        "advogado", "jurídica", "محامي", "محامٍ", "قانوني", "مساعدة قانونية", "وکیل", "حقوقی",
        "avocat", "juridic", "avokat", "ligjor", "адвокат", "юрист", "юридична допомога",
        "юридическая помощь", "luật sư", "pháp lý", "律师", "法律援助", "法律", "वकील",
        "कानूनी सहायता", "कानूनी", "ጠበቓ", "ሕጋዊ",
    ),
    "counselling": (
        "counselling", "counseling", "counselor", "therapy", "therapist", "mental health",
        "emotional support", "trauma", "psychologist",
        "consejería", "psicólogo", "apoyo emocional", "terapia", "conseil", "psychologue",
        "soutien psychologique", "aconselhamento", "psicólogo", "apoio psicológico",
        "استشارة", "دعم نفسي", "مشورة", "مشاوره", "روانشناس", "consiliere", "psiholog",
        "këshillim", "psikolog", "психолог", "консультування", "консультация", "tư vấn",
        "tâm lý", "心理咨询", "咨询", "心理", "परामर्श", "काउंसलिंग", "ምኽሪ", "ስነ-ኣእምሮ",
    ),
    "medical": (
        "medical", "doctor", "clinic", "health", "hospital", "nurse",
        "médico", "clínica", "salud", "médecin", "clinique", "santé", "saúde", "طبيب",
        "عيادة", "صحة", "پزشک", "درمانگاه", "بهداشت", "medic", "clinică", "sănătate", "mjek",
        "klinikë", "shëndet", "лікар", "клініка", "врач", "больница", "здоровье", "bác sĩ",
        "phòng khám", "y tế", "医生", "医疗", "诊所", "डॉक्टर", "चिकित्सा", "अस्पताल", "ሓኪም",
        "ሕክምና",
    ),
    "immigration": (
        "immigration", "visa", "asylum", "residence permit", "papers", "refugee",
        "inmigración", "asilo", "papeles", "immigration", "asile", "titre de séjour",
        "imigração", "هجرة", "لجوء", "تأشيرة", "مهاجرت", "پناهندگی", "ویزا", "imigrare",
        "azil", "emigracion", "imigracion", "імміграція", "притулок біженця", "иммиграция",
        "виза", "убежище беженца", "nhập cư", "thị thực", "移民", "签证", "庇护", "आव्रजन",
        "वीजा", "ኢሚግሬሽን", "ቪዛ",
    ),
    "employment": (
        "employment", "job", "work", "training", "wages", "labour", "labor",
        "empleo", "trabajo", "capacitación", "emploi", "travail", "formation", "emprego",
        "trabalho", "عمل", "وظيفة", "تدريب", "کار", "اشتغال", "آموزش", "muncă", "loc de muncă",
        "punë", "punësim", "робота", "працевлаштування", "работа", "трудоустройство",
        "việc làm", "đào tạo", "工作", "就业", "培训", "रोजगार", "नौकरी", "ስራሕ",
    ),
    "children-youth": (
        "children", "child", "youth", "young", "teen", "minor", "kids",
        "niños", "niñas", "jóvenes", "menores", "enfants", "jeunes", "mineurs", "crianças",
        "jovens", "أطفال", "طفل", "شباب", "کودک", "کودکان", "نوجوان", "copii", "tineri",
        "fëmijë", "të rinj", "діти", "молодь", "дети", "молодежь", "trẻ em", "thanh niên",
        "儿童", "青少年", "孩子", "बच्चे", "युवा", "ቆልዑ", "መንእሰያት",
    ),
    "basic-needs": (
        "food", "clothes", "clothing", "basic needs", "money", "hygiene",
        "comida", "ropa", "alimentos", "nourriture", "vêtements", "alimentation", "roupa",
        "طعام", "ملابس", "غذاء", "غذا", "لباس", "mâncare", "haine", "ushqim", "veshje", "їжа",
        "одяг", "еда", "одежда", "thức ăn", "quần áo", "食物", "衣服", "食品", "भोजन",
        "कपड़े", "ምግቢ", "ክዳን",
    ),
}
