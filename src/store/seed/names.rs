//! Word lists for demo customer and agent names.

pub const FIRST: &[&str] = &[
    "Northwind", "Bluestone", "Harbor", "Summit", "Cedar", "Granite", "Riverside", "Ironwood", "Silverline",
    "Redwood", "Falcon", "Meridian", "Oakridge", "Pioneer", "Beacon", "Crescent", "Evergreen", "Keystone",
    "Lakeside", "Maple", "Orion", "Pinnacle", "Quarry", "Sterling", "Tidewater", "Vanguard", "Westfield",
    "Alpine", "Brightwater", "Copperfield", "Driftwood", "Eastgate", "Foxhall", "Goldcrest", "Highland",
    "Juniper", "Kingsbridge", "Larkspur", "Müller", "Søndergaard", "Zürich", "São Paulo", "Łódź", "Café Noir",
    "Sakura 桜", "Hanbit 한빛",
];

pub const SECOND: &[&str] = &[
    "Logistics", "Foods", "Builders", "Medical", "Analytics", "Outfitters", "Energy", "Textiles", "Robotics",
    "Packaging", "Pharma", "Hospitality", "Freight", "Dental", "Printing", "Marine", "Software", "Farms",
    "Components", "Retail", "Labs", "Interiors", "Motors", "Optics",
];

pub const SUFFIX: &[&str] = &["Inc.", "LLC", "Ltd", "GmbH", "Corp.", "Co.", "S.A.", "plc", "AG", "Group"];

pub const REGIONS: &[&str] = &["NA-East", "NA-West", "EMEA", "UK", "APAC", "LATAM"];

/// (role name, display name, email local part, title)
pub const AGENTS: &[(&str, &str, &str)] = &[
    ("ava", "Ava Lindqvist", "lead"),
    ("marco", "Marco Ruiz", "lead"),
    ("ben", "Ben Okafor", "collector"),
    ("chloe", "Chloe Martin", "collector"),
    ("dev", "Dev Patel", "collector"),
    ("erin", "Erin Walsh", "collector"),
    ("vic", "Vic Tran", "viewer"),
    ("sam", "Sam Keller", "account_executive"),
    ("nina", "Nina Rossi", "account_executive"),
    ("omar", "Omar Haddad", "account_executive"),
    ("paula", "Paula Chen", "customer_success"),
    ("raj", "Raj Iyer", "customer_success"),
];

pub const CATEGORIES: &[&str] =
    &["pricing", "quantity", "quality", "missing_po", "duplicate_billing", "tax", "service_not_rendered", "other"];

pub const LINE_ITEMS: &[&str] = &[
    "Freight surcharge", "Line 3: 40 units short", "Damaged pallet", "PO number missing", "Billed twice in March",
    "VAT rate", "Installation not performed", "Expedite fee", "Unit price vs contract", "Late delivery penalty",
];
