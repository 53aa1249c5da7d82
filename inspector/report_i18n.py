"""Words of the PDF report in French and English: labels, parts, damage types."""

from __future__ import annotations

from inspector.grading import SEVERITY_NAMES
from inspector.models import DamageType, Fuel, Part, Severity, Text

LANGS = ("fr", "en")

LABELS: dict[str, Text] = {
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
    "grade": Text("Note globale", "Overall grade"),
    "grade_set": Text("attribuée par l'inspecteur", "set by the inspector"),
    "grade_suggested": Text("suggérée d'après les dommages", "suggested from the damages"),
    "no_photo": Text("Pas de photo", "No photo"),
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
    "damages": Text("Dommages", "Damages"),
    "damages_by_severity": Text("Dommages par gravité", "Damages by severity"),
    "total": Text("Total", "Total"),
    "no_damage": Text("Aucun dommage relevé.", "No damage recorded."),
    "diagram": Text("Emplacement des dommages", "Where the damages are"),
    "not_on_diagram": Text("Hors schéma", "Not on the diagram"),
    "damage_table": Text("Détail des dommages", "Damage details"),
    "col_no": Text("N°", "No."),
    "col_photo": Text("Photo", "Photo"),
    "col_part": Text("Élément", "Part"),
    "col_type": Text("Type", "Type"),
    "col_severity": Text("Gravité", "Severity"),
    "col_note": Text("Remarque", "Note"),
    "photos": Text("Photos", "Photos"),
    "still": Text("photo", "still"),
    "frame": Text("image vidéo", "video frame"),
    "damage_marks": Text("Dommages", "Damages"),
    "quality_warn": Text("qualité à vérifier", "quality warning"),
    "quality_reject": Text("qualité insuffisante", "poor quality"),
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
    "col_sha": Text("SHA-256 du fichier original", "SHA-256 of the original file"),
    "col_shown": Text("Dans le rapport", "In report"),
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
    "page": Text("Page {n} / {total}", "Page {n} of {total}"),
    "km": Text("km", "km"),
    "yes": Text("oui", "yes"),
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


def part_name(part: Part, lang: str) -> str:
    return PART_NAMES[part].get(lang)


def damage_type_name(kind: DamageType, lang: str) -> str:
    return DAMAGE_TYPE_NAMES[kind].get(lang)


def severity_name(severity: Severity, lang: str) -> str:
    return SEVERITY_NAMES[Severity(severity)].get(lang)


def fuel_name(fuel: Fuel, lang: str) -> str:
    return FUEL_NAMES[fuel].get(lang)
