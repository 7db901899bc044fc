"""The label taxonomy: every built-in label, what it means and how the built-in rules find it.

Names are dotted paths; the first part is the family (``PII``, ``Secret``, ``PCI``,
``Finance``, ``Business``, ``Network``, ``Vehicle``, ``Geo``). Parent names such as
``PII.NationalId`` are labels too. Custom rule sets may introduce labels of their own.
"""

from __future__ import annotations

from sounding.domain.classification import Label

_C = "checksum-validated value pattern"


def _id(code: str, what: str, how: str) -> Label:
    return Label(f"PII.NationalId.{code}", what, how)


_LABELS: tuple[Label, ...] = (
    Label(
        "PII.Email",
        "E-mail address.",
        "Name (email, e-mail, correo, courriel...); values: "
        "address pattern with a real-looking top-level domain.",
    ),
    Label(
        "PII.EmailInText",
        "E-mail addresses inside free text: message bodies, mail headers with display names.",
        "Values that hold an e-mail address next to other words (30 %+ of short values, any in "
        "free text); a column whose values are the addresses themselves is PII.Email.",
    ),
    Label(
        "PII.Phone",
        "Telephone or fax number.",
        "Name (phone, tel, mobile, fax, telefon...); "
        "values graded by format: +international, North-American, grouped, bare digits "
        "(bare digits only with a name).",
    ),
    Label(
        "PII.PersonName",
        "Given name, family name or full name of a person.",
        "Name (first_name, surname, vorname...); values: 1-5 words, at least half of them in a "
        "dictionary of ~40,000 given and family names from 60 locales, none an everyday word "
        "that is not a frequent name.",
    ),
    Label(
        "PII.StreetAddress",
        "Street address, address line or PO box.",
        "Name (address, street, addr, anschrift...); values: a house number plus a street-type "
        "word (street, ave, straße, rue, calle, via, ...), or a PO box.",
    ),
    Label(
        "PII.PostalCode",
        "Postal or ZIP code.",
        "Name (zip, postcode, plz, cep...); values: UK, Canadian, Dutch, Portuguese, Brazilian "
        "formats on their own; 5-digit and ZIP+4 columns from the whole distribution (ZIP+4 "
        "shape, leading zeros kept, spread); other formats support a name.",
    ),
    Label(
        "PII.City",
        "City, town or locality.",
        "Name only (city, town, ort, ciudad...), with textual values.",
    ),
    Label(
        "PII.StateOrRegion",
        "State, province, county or region.",
        "Name (state, province, "
        "county, region...); values: known state names and codes support it.",
    ),
    Label(
        "PII.Country",
        "Country name or code.",
        "Name (country, pais, land...); values: "
        "country names in nine languages, ISO codes support a name.",
    ),
    Label(
        "PII.Nationality",
        "Nationality or citizenship.",
        "Name only (nationality, citizenship, staatsangehörigkeit...).",
    ),
    Label(
        "PII.DateOfBirth",
        "Date of birth.",
        "Name (dob, birth_date, geburtsdatum...) with "
        "values that are dates between 1900 and today.",
    ),
    Label(
        "PII.Age",
        "Age of a person (years, or an age band such as 25-34).",
        "Name (age, edad, alter...) with values 0-125 or age bands.",
    ),
    Label(
        "PII.Gender",
        "Gender or sex.",
        "Name (gender, sex, geschlecht...); values: gender "
        "words in 12 languages label a column alone, one-letter codes need the name.",
    ),
    Label(
        "PII.Username",
        "Login or user name.",
        "Name only (username, login, handle...), with values that are not plain numbers.",
    ),
    Label(
        "PII.NationalId",
        "A national identifier of a person (country not known).",
        "Name only (national_id, id_number...); the country-specific children below are "
        "found from their values.",
    ),
    _id(
        "US_SSN",
        "US Social Security number.",
        "Name (ssn, social security...); values: "
        "ddd-dd-dddd with the SSA area/group/serial rules; unseparated 9 digits need a name.",
    ),
    _id(
        "US_ITIN",
        "US Individual Taxpayer Identification Number.",
        "Values: 9xx-GG-xxxx with the IRS group ranges; name itin.",
    ),
    _id(
        "UK_NINO",
        "UK National Insurance number.",
        "Values: two-letter prefix (with the excluded prefixes), six digits, suffix A-D.",
    ),
    _id("ES_NIF", "Spanish DNI/NIF.", f"{_C}: 8 digits and a mod-23 letter."),
    _id(
        "ES_NIE",
        "Spanish foreigner identity number (NIE).",
        f"{_C}: X/Y/Z, 7 digits, mod-23 letter.",
    ),
    _id(
        "IT_FISCAL_CODE",
        "Italian codice fiscale.",
        f"{_C}: name/date/place structure and the check letter (structure alone scores lower).",
    ),
    _id("IN_AADHAAR", "Indian Aadhaar number.", f"{_C}: 12 digits, Verhoeff check."),
    _id(
        "IN_PAN",
        "Indian Permanent Account Number.",
        "Values: AAAAA9999A with a holder-type letter.",
    ),
    _id("IN_VOTER", "Indian voter id (EPIC).", "Name (voter_id, epic) with AAA9999999 values."),
    _id("PL_PESEL", "Polish PESEL.", f"{_C}: birth date with century offset, weighted check."),
    _id(
        "FI_HETU",
        "Finnish personal identity code (henkilötunnus).",
        f"{_C}: birth date, century sign (incl. the 2023 signs), mod-31 check character.",
    ),
    _id("SE_PERSONNUMMER", "Swedish personal identity number.", f"{_C}: birth date, Luhn."),
    _id(
        "KR_RRN",
        "Korean resident registration number.",
        "Values: birth date, gender/century digit 1-4; the pre-2020 check digit raises the score.",
    ),
    _id("KR_FRN", "Korean foreigner registration number.", "As KR_RRN with gender digit 5-8."),
    _id("SG_NRIC_FIN", "Singapore NRIC/FIN.", f"{_C}: S/T/F/G/M, 7 digits, check letter."),
    _id("AU_TFN", "Australian tax file number.", f"{_C}: weighted mod-11."),
    _id("CA_SIN", "Canadian social insurance number.", f"{_C}: Luhn."),
    _id("ZA_ID", "South African identity number.", f"{_C}: birth date, citizenship digit, Luhn."),
    _id("TR_TCKN", "Turkish identity number (T.C. Kimlik No).", f"{_C}: two check digits."),
    _id("TH_TNIN", "Thai national identification number.", f"{_C}: province code, mod-11."),
    _id("NG_NIN", "Nigerian national identification number.", f"{_C}: Verhoeff check."),
    _id(
        "DE_TAX_ID",
        "German tax identification number (Steuer-IdNr).",
        f"{_C}: ISO 7064 mod 11,10; the digit-repetition rule raises the score.",
    ),
    _id(
        "DE_SOCIAL_SECURITY",
        "German pension insurance number (Rentenversicherungsnummer).",
        f"{_C}: area, birth date, initial, serial, check digit.",
    ),
    _id(
        "DE_ID_CARD",
        "German identity card or passport serial number.",
        f"{_C}: 9 characters "
        "from the official alphabet, ICAO 7-3-1 check digit (both documents share it).",
    ),
    _id("BR_CPF", "Brazilian CPF.", f"{_C}: two mod-11 check digits."),
    _id("NL_BSN", "Dutch citizen service number (BSN).", f"{_C}: 11-test."),
    _id("DK_CPR", "Danish CPR number.", "Name (cpr) with ddmmyy-xxxx values (dates only)."),
    _id("NO_FNR", "Norwegian birth number (fødselsnummer).", f"{_C}: two check digits."),
    _id("FR_NIR", "French social security number (NIR).", f"{_C}: mod-97 key."),
    _id("BE_NN", "Belgian national register number.", f"{_C}: mod-97."),
    _id("CH_AHV", "Swiss social security number (AHV/AVS).", f"{_C}: 756 prefix, EAN-13 check."),
    _id("CN_RIC", "Chinese resident identity card number.", f"{_C}: ISO 7064 mod 11-2."),
    _id("MX_CURP", "Mexican CURP.", f"{_C}: structure and check digit."),
    Label(
        "PII.Passport",
        "Passport number.",
        "Name (passport, reisepass, pasaporte...) with "
        "passport-like values; in free text, a context word such as 'passport'.",
    ),
    Label(
        "PII.DriverLicense",
        "Driving licence number.",
        "Name (driver_license, dl_no, "
        "führerschein...); UK licence numbers (date-coded) also from values alone.",
    ),
    Label("PII.HealthId", "A health-insurance or patient identifier.", "See the children."),
    Label("PII.HealthId.UK_NHS", "UK NHS number.", f"{_C}: mod-11."),
    Label(
        "PII.HealthId.US_MBI",
        "US Medicare Beneficiary Identifier.",
        "Values: the 11-character MBI alphabet and layout.",
    ),
    Label(
        "PII.HealthId.DE_KVNR",
        "German health insurance number (KVNR).",
        f"{_C}: letter, 8 digits, check digit.",
    ),
    Label(
        "PII.HealthId.AU_MEDICARE",
        "Australian Medicare card number.",
        f"{_C}: weighted check digit.",
    ),
    Label("PII.MedicalLicense", "Identifier of a health professional.", "See the children."),
    Label(
        "PII.MedicalLicense.US_NPI",
        "US National Provider Identifier.",
        f"{_C}: Luhn over 80840 + NPI.",
    ),
    Label("PII.MedicalLicense.US_DEA", "US DEA registration number.", f"{_C}: DEA check digit."),
    Label(
        "PII.MedicalLicense.DE_LANR", "German lifelong doctor number (LANR).", f"{_C}: weights 4-9."
    ),
    Label(
        "Secret.Password",
        "Password or password hash.",
        "Name (password, pwd, passwort...); "
        "values: bcrypt, argon2, PBKDF2, crypt(3) and LDAP hashes label a column alone.",
    ),
    Label(
        "Secret.Token",
        "API key, access token, private key or other credential.",
        "Name "
        "(token, api_key, secret...); values: AWS, GitHub, GitLab, Slack, Stripe, Google keys, "
        "JWTs and PEM private keys label a column alone.",
    ),
    Label(
        "PCI.CardNumber", "Payment card number (PAN).", f"{_C}: 13-19 digits, issuer prefix, Luhn."
    ),
    Label("Finance.IBAN", "International Bank Account Number.", f"{_C}: country length, mod 97."),
    Label(
        "Finance.SwiftBic",
        "SWIFT/BIC bank identifier code.",
        "Values: 8/11 characters with a real country code and the ISO 9362 location/branch "
        "structure (all-letter codes need a name; in free text a context word).",
    ),
    Label("Finance.RoutingNumber.US_ABA", "US ABA routing transit number.", f"{_C}: 3-7-1."),
    Label(
        "Finance.BankAccount",
        "Domestic bank account number.",
        "Name (account_number, kontonummer...) with digit values.",
    ),
    Label(
        "Finance.CryptoWallet",
        "Cryptocurrency wallet address.",
        f"{_C}: Bitcoin base58check and bech32; Ethereum addresses support a name.",
    ),
    Label("Business.TaxId.AU_ABN", "Australian business number.", f"{_C}: mod 89."),
    Label(
        "Business.TaxId.IN_GSTIN",
        "Indian GST identification number.",
        "Values: state code, embedded PAN, Z; the check character raises the score.",
    ),
    Label("Business.TaxId.IT_VAT", "Italian VAT number (partita IVA).", f"{_C}: Luhn variant."),
    Label("Business.TaxId.DE_VAT", "German VAT id (USt-IdNr).", f"{_C}: ISO 7064."),
    Label("Business.TaxId.KR_BRN", "Korean business registration number.", f"{_C}: weighted."),
    Label("Business.RegistrationId.AU_ACN", "Australian company number.", f"{_C}: weighted."),
    Label("Business.RegistrationId.SE_ORGNR", "Swedish organisation number.", f"{_C}: Luhn."),
    Label("Business.RegistrationId.SG_UEN", "Singapore unique entity number.", f"{_C}."),
    Label(
        "Network.IPv4",
        "IPv4 address.",
        "Values: dotted quad, each octet 0-255, optional prefix length.",
    ),
    Label("Network.IPv6", "IPv6 address.", "Values: any RFC 4291 form, zone id, prefix."),
    Label(
        "Network.MacAddress",
        "MAC (hardware) address.",
        "Values: six hex octets or Cisco dotted form; all-zero and broadcast addresses excluded.",
    ),
    Label(
        "Network.URL",
        "URL or web address.",
        "Values: http(s)/ftp or www. with a real-looking host; bare domains support a name.",
    ),
    Label(
        "Vehicle.VIN",
        "Vehicle identification number.",
        "Values: 17 characters without I/O/Q; a valid North-American check digit raises the score.",
    ),
    Label(
        "Vehicle.LicensePlate",
        "Vehicle registration plate.",
        "Name (license_plate, kennzeichen...) with plate-like values.",
    ),
    Label(
        "Geo.Coordinates",
        "Geographic coordinates (latitude/longitude).",
        "Values: 'lat, "
        "lon' pairs or WKT points alone; single numbers in range with a name (lat, lng...).",
    ),
)

TAXONOMY: dict[str, Label] = {label.name: label for label in _LABELS}


def get_label(name: str) -> Label | None:
    """The taxonomy entry for ``name``, or None for a custom label."""
    return TAXONOMY.get(name)


def all_labels() -> tuple[Label, ...]:
    return _LABELS
