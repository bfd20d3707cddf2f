"""The ledger's knowledge in the vocabularies others read: JSON-LD (W3C ORG, PROV-O, OWL-Time) and
Popolo JSON, each a document made from one reading of the read model (`knowledge.read`)."""
