"""Words of the PDF report in French and English: labels, parts, damage types."""

from __future__ import annotations

from inspector.domain.grading import SEVERITY_NAMES
from inspector.domain.models import DamageType, Fuel, Part, Severity, Text

LANGS = ("fr", "en")

LABELS: dict[str, Text] = {
    # A key ending in "_one" is the singular of the key without it (see ``plural``).
    "report": Text("Rapport d'inspection", "Inspection report"),
    "report_caps": Text("RAPPORT D'INSPECTION DU VÉHICULE", "VEHICLE INSPECTION REPORT"),
    "vehicle": Text("Véhicule", "Vehicle"),
    "unknown_vehicle": Text("Véhicule non renseigné", "Vehicle not specified"),
    "inspection": Text("Inspection", "Inspection"),
    "plate": Text("Immatriculation", "Plate"),
    "vin": Text("VIN", "VIN"),
    "mileage": Text("Kilométrage", "Mileage"),
    "year": Text("Année", "Year"),
    "fuel": Text("Énergie", "Fuel"),
    "colour": Text("Couleur", "Colour"),
    "date": Text("Date", "Date"),
    "operator": Text("Opérateur", "Operator"),
    "inspector": Text("Inspecteur", "Inspector"),
    "seller": Text("Vendeur", "Seller"),
    "checklist": Text("Checklist", "Checklist"),
    "inspection_id": Text("Identifiant", "Inspection id"),
    # the verdict
    "grade": Text("Note globale", "Overall grade"),
    "grade_of": Text("Note globale : {grade}/5 — {name}", "Overall grade: {grade}/5 — {name}"),
    "grade_set": Text("Attribuée par l'inspecteur.", "Set by the inspector."),
    "grade_suggested": Text(
        "Suggérée d'après les dommages relevés.", "Suggested from the damages recorded."
    ),
    "grade_capped": Text(
        "Plafonnée à {cap}/5 (au lieu de {base}) : {n} photos sont sous le seuil de qualité.",
        "Capped at {cap}/5 (instead of {base}): {n} photos are below the quality bar.",
    ),
    "grade_capped_one": Text(
        "Plafonnée à {cap}/5 (au lieu de {base}) : 1 photo est sous le seuil de qualité.",
        "Capped at {cap}/5 (instead of {base}): 1 photo is below the quality bar.",
    ),
    "grade_limited": Text(
        "{n} photos sont sous le seuil de qualité : voir « Photos à vérifier ».",
        "{n} photos are below the quality bar: see “Photos to check”.",
    ),
    "grade_limited_one": Text(
        "1 photo est sous le seuil de qualité : voir « Photos à vérifier ».",
        "1 photo is below the quality bar: see “Photos to check”.",
    ),
    "incomplete": Text(
        "Incomplet — {missing} photos obligatoires manquantes sur {required}",
        "Incomplete — {missing} of {required} required photos missing",
    ),
    "incomplete_one": Text(
        "Incomplet — 1 photo obligatoire manquante sur {required}",
        "Incomplete — 1 of {required} required photos missing",
    ),
    "no_grade": Text(
        "Pas de note : le véhicule n'est noté que lorsque toutes les photos obligatoires "
        "sont présentes.",
        "No grade: the vehicle is graded only once every required photo is present.",
    ),
    "no_grade_damages": Text(
        "Pas de note : le véhicule n'est noté que lorsque chaque dommage relevé est décrit "
        "(type et gravité).",
        "No grade: the vehicle is graded only once every damage recorded is described "
        "(type and severity).",
    ),
    "no_grade_both": Text(
        "Pas de note : le véhicule n'est noté que lorsque toutes les photos obligatoires "
        "sont présentes et que chaque dommage relevé est décrit.",
        "No grade: the vehicle is graded only once every required photo is present and "
        "every damage recorded is described.",
    ),
    "to_complete": Text("Dommages à compléter — {n}", "Damages to complete — {n}"),
    "no_photo": Text("Pas de photo", "No photo"),
    # summary
    "summary": Text("Synthèse", "Summary"),
    "completion": Text("Checklist photo", "Photo checklist"),
    "required_done": Text(
        "{done} photos obligatoires sur {required} présentes",
        "{done} of {required} required photos present",
    ),
    "all_present": Text(
        "Toutes les photos obligatoires sont présentes.", "All required photos are present."
    ),
    "missing_required": Text("Photos obligatoires manquantes", "Missing required photos"),
    "missing_optional": Text("Photos facultatives absentes", "Optional photos not taken"),
    "to_check": Text(
        "Photos à vérifier (sous le seuil de qualité)", "Photos to check (below the quality bar)"
    ),
    "to_check_flag": Text("Qualité à vérifier", "Quality to check"),
    "kept_after": Text("gardée malgré un refus", "kept although it failed the check"),
    "damages": Text("Dommages", "Damages"),
    "damage_list": Text("Dommages relevés", "Damages recorded"),
    "damages_count": Text("{n} dommages", "{n} damages"),
    "damages_count_one": Text("1 dommage", "1 damage"),
    "no_damage": Text("Aucun dommage relevé.", "No damage recorded."),
    "diagram": Text("Emplacement des dommages", "Where the damages are"),
    "not_on_diagram": Text("Hors schéma : {refs}", "Not on the diagram: {refs}"),
    "notes": Text("Observations de l'inspecteur", "Inspector's notes"),
    "no_notes": Text("Aucune observation.", "No notes."),
    "col_no": Text("Réf.", "Ref."),
    "col_part": Text("Élément", "Part"),
    "col_type": Text("Type", "Type"),
    "col_severity": Text("Gravité", "Severity"),
    "to_be_confirmed": Text("À confirmer", "To be confirmed"),
    "to_complete_text": Text(
        "Relevé pendant l'appel : son type et sa gravité restent à décrire par l'inspecteur.",
        "Recorded during the call: its type and severity are still to be described by the "
        "inspector.",
    ),
    # damage pages
    "pair_wide": Text("{ref} – vue d'ensemble", "{ref} – wide view"),
    "pair_closeup": Text("{ref} – gros plan", "{ref} – close-up"),
    "enlarged": Text("{ref} – agrandissement", "{ref} – enlarged"),
    "unrecorded_pair": Text(
        "Photo de dommage non répertorié (paire {n})", "Unrecorded damage photo (pair {n})"
    ),
    "unrecorded_text": Text(
        "Photographié comme dommage pendant l'appel, mais non décrit par l'inspecteur : "
        "absent de la liste des dommages.",
        "Photographed as a damage during the call but not described by the inspector: "
        "not in the list of damages.",
    ),
    "unrecorded_count": Text(
        "{n} paires de photos de dommage non répertorié : voir les pages des dommages.",
        "{n} unrecorded damage photo pairs: see the damage pages.",
    ),
    "unrecorded_count_one": Text(
        "1 paire de photos de dommage non répertorié : voir les pages des dommages.",
        "1 unrecorded damage photo pair: see the damage pages.",
    ),
    "no_damage_photo": Text("Aucune photo de ce dommage.", "No photo of this damage."),
    "marks": Text("Repères : {refs}", "Marks: {refs}"),
    # contact sheet
    "photos": Text("Photos du véhicule", "Vehicle photos"),
    # appendix
    "evidence": Text("Annexe : preuves d'intégrité", "Appendix: integrity evidence"),
    "evidence_intro": Text(
        "Chaque photo est identifiée par l'empreinte SHA-256 de son fichier original, "
        "calculée à la capture. Toute modification du fichier change son empreinte.",
        "Each photo is identified by the SHA-256 fingerprint of its original file, "
        "computed when it was captured. Any change to the file changes its fingerprint.",
    ),
    "times_local": Text("Heures locales ({zone}).", "Times are local ({zone})."),
    "col_shot": Text("Prise de vue", "Shot"),
    "col_time": Text("Capturée le", "Captured"),
    "col_clock": Text("Heure", "Time"),
    "col_file": Text("Fichier original", "Original file"),
    "col_sha": Text("SHA-256 du fichier original", "SHA-256 of the original file"),
    "still": Text("photo", "still"),
    "frame": Text("image vidéo", "video frame"),
    "generated": Text("Rapport généré le", "Report generated"),
    "software": Text("Logiciel", "Software"),
    "how_to_verify": Text("Vérification", "How to verify"),
    "verify_text": Text(
        "Le dossier d'inspection (inspection.zip) contient les photos originales, ce "
        "rapport et un manifeste de leurs empreintes. Pour le contrôler :",
        "The inspection bundle (inspection.zip) holds the original photos, this report and "
        "a manifest of their fingerprints. To check it, run:",
    ),
    "verify_text2": Text(
        "La commande signale tout fichier modifié, manquant ou ajouté. L'empreinte d'une "
        "photo isolée se vérifie aussi avec sha256sum et la liste ci-dessus.",
        "It names every altered, missing or added file. A single photo can also be checked "
        "with sha256sum against the list above.",
    ),
    "how_graded": Text("Comment la note est établie", "How the grade is set"),
    "grade_rule": Text(
        "La note (5 excellent à 1 mauvais) est suggérée d'après les dommages : 1 point par "
        "dommage mineur, 3 par dommage modéré, 8 par dommage grave ; 0 point donne 5, 1 à 2 "
        "donnent 4, 3 à 6 donnent 3, 7 à 12 donnent 2, au-delà 1. L'inspecteur peut la "
        "modifier. Aucune note n'est donnée s'il manque une photo obligatoire ou si un "
        "dommage relevé reste à décrire ; une photo gardée avec un avertissement de qualité "
        "limite la note à 4, une photo gardée malgré un refus la limite à 3.",
        "The grade (5 excellent to 1 bad) is suggested from the damages: 1 point per minor, "
        "3 per moderate, 8 per severe damage; 0 points give 5, 1-2 give 4, 3-6 give 3, "
        "7-12 give 2, more give 1. The inspector may change it. No grade is given while a "
        "required photo is missing or a damage recorded is still to be described; a photo "
        "kept with a quality warning caps the grade at 4, a photo kept although it failed "
        "the quality check caps it at 3.",
    ),
    "page": Text("Page {n} / {total}", "Page {n} of {total}"),
    "retaken": Text("remplacée", "superseded"),
    "rejected": Text("rejetée", "rejected"),
}

PART_NAMES: dict[Part, Text] = {
    Part.FRONT_BUMPER: Text("Pare-chocs avant", "Front bumper"),
    Part.REAR_BUMPER: Text("Pare-chocs arrière", "Rear bumper"),
    Part.BONNET: Text("Capot", "Bonnet"),
    Part.BOOT_LID: Text("Hayon / couvercle de coffre", "Boot lid"),
    Part.ROOF: Text("Toit", "Roof"),
    Part.WING_FRONT_LEFT: Text("Aile avant gauche", "Front left wing"),
    Part.WING_FRONT_RIGHT: Text("Aile avant droite", "Front right wing"),
    Part.WING_REAR_LEFT: Text("Aile arrière gauche", "Rear left wing"),
    Part.WING_REAR_RIGHT: Text("Aile arrière droite", "Rear right wing"),
    Part.DOOR_FRONT_LEFT: Text("Porte avant gauche", "Front left door"),
    Part.DOOR_FRONT_RIGHT: Text("Porte avant droite", "Front right door"),
    Part.DOOR_REAR_LEFT: Text("Porte arrière gauche", "Rear left door"),
    Part.DOOR_REAR_RIGHT: Text("Porte arrière droite", "Rear right door"),
    Part.SILL_LEFT: Text("Bas de caisse gauche", "Left sill"),
    Part.SILL_RIGHT: Text("Bas de caisse droit", "Right sill"),
    Part.MIRROR_LEFT: Text("Rétroviseur gauche", "Left mirror"),
    Part.MIRROR_RIGHT: Text("Rétroviseur droit", "Right mirror"),
    Part.HEADLIGHT_LEFT: Text("Phare gauche", "Left headlight"),
    Part.HEADLIGHT_RIGHT: Text("Phare droit", "Right headlight"),
    Part.TAILLIGHT_LEFT: Text("Feu arrière gauche", "Left tail light"),
    Part.TAILLIGHT_RIGHT: Text("Feu arrière droit", "Right tail light"),
    Part.WINDSCREEN: Text("Pare-brise", "Windscreen"),
    Part.REAR_WINDOW: Text("Lunette arrière", "Rear window"),
    Part.WINDOW_FRONT_LEFT: Text("Vitre avant gauche", "Front left window"),
    Part.WINDOW_FRONT_RIGHT: Text("Vitre avant droite", "Front right window"),
    Part.WINDOW_REAR_LEFT: Text("Vitre arrière gauche", "Rear left window"),
    Part.WINDOW_REAR_RIGHT: Text("Vitre arrière droite", "Rear right window"),
    Part.WHEEL_FRONT_LEFT: Text("Roue avant gauche", "Front left wheel"),
    Part.WHEEL_FRONT_RIGHT: Text("Roue avant droite", "Front right wheel"),
    Part.WHEEL_REAR_LEFT: Text("Roue arrière gauche", "Rear left wheel"),
    Part.WHEEL_REAR_RIGHT: Text("Roue arrière droite", "Rear right wheel"),
    Part.DASHBOARD: Text("Tableau de bord", "Dashboard"),
    Part.SEAT_FRONT: Text("Sièges avant", "Front seats"),
    Part.SEAT_REAR: Text("Banquette arrière", "Rear seats"),
    Part.STEERING_WHEEL: Text("Volant", "Steering wheel"),
    Part.INTERIOR_TRIM: Text("Garnitures intérieures", "Interior trim"),
    Part.BOOT_INTERIOR: Text("Intérieur du coffre", "Boot interior"),
    Part.ENGINE_BAY: Text("Compartiment moteur", "Engine bay"),
}

DAMAGE_TYPE_NAMES: dict[DamageType, Text] = {
    DamageType.SCRATCH: Text("Rayure", "Scratch"),
    DamageType.DENT: Text("Bosse", "Dent"),
    DamageType.CHIP: Text("Éclat", "Chip"),
    DamageType.CRACK: Text("Fissure", "Crack"),
    DamageType.BROKEN_GLASS: Text("Vitre brisée", "Broken glass"),
    DamageType.BROKEN_LIGHT: Text("Optique cassée", "Broken light"),
    DamageType.RUST: Text("Rouille", "Rust"),
    DamageType.PAINT_DAMAGE: Text("Peinture abîmée", "Paint damage"),
    DamageType.MISSING_PART: Text("Pièce manquante", "Missing part"),
    DamageType.TYRE_WEAR: Text("Pneu usé", "Tyre wear"),
    DamageType.OTHER: Text("Autre", "Other"),
}

FUEL_NAMES: dict[Fuel, Text] = {
    Fuel.PETROL: Text("Essence", "Petrol"),
    Fuel.DIESEL: Text("Diesel", "Diesel"),
    Fuel.HYBRID: Text("Hybride", "Hybrid"),
    Fuel.ELECTRIC: Text("Électrique", "Electric"),
    Fuel.LPG: Text("GPL", "LPG"),
    Fuel.OTHER: Text("Autre", "Other"),
}


def label(key: str, lang: str, **values: object) -> str:
    """A report label in ``lang``, with ``{name}`` fields filled in."""
    text = LABELS[key].get(lang)
    return text.format(**values) if values else text


def plural(key: str, n: int, lang: str, **values: object) -> str:
    """``label`` with ``n`` filled in, from ``key + "_one"`` when ``n`` is 1 and it exists."""
    one = f"{key}_one"
    return label(one if n == 1 and one in LABELS else key, lang, n=n, **values)


def damage_ref(number: int) -> str:
    """The one identifier of damage ``number`` (1-based) everywhere in a report: "D3"."""
    return f"D{number}"


def part_name(part: Part, lang: str) -> str:
    return PART_NAMES[part].get(lang)


def damage_type_name(kind: DamageType, lang: str) -> str:
    return DAMAGE_TYPE_NAMES[kind].get(lang)


def severity_name(severity: Severity, lang: str) -> str:
    return SEVERITY_NAMES[Severity(severity)].get(lang)


def fuel_name(fuel: Fuel, lang: str) -> str:
    return FUEL_NAMES[fuel].get(lang)
