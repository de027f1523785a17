"""Every vector of docs/tracking-token-vectors.json, one subtest each, through this package."""

import os
import unittest
import uuid

from trackedge_signer import Signer
from trackedge_signer import vectors

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = vectors.load(vectors.find_vectors(HERE))


class VectorsTest(unittest.TestCase):

    def test_every_vector(self):
        seen = {section: 0 for section in vectors.SECTIONS}
        for section, name, ok, detail in vectors.check(VECTORS):
            seen[section] += 1
            with self.subTest(section=section, vector=name):
                self.assertTrue(ok, detail)
        for section in vectors.SECTIONS:
            self.assertEqual(len(VECTORS[section]), seen[section], section)
        self.assertGreaterEqual(seen["valid"], 12)


class SignerTest(unittest.TestCase):

    def setUp(self):
        self.signer = Signer(VECTORS["base_url"] + "/", VECTORS["keys"][0]["spec"])
        minimal = next(v for v in VECTORS["valid"] if v["name"] == "open-minimal")
        self.minimal = minimal

    def test_uuid_objects_and_absent_optionals_sign_as_text(self):
        f = self.minimal["fields"]
        ids = dict(f, tenant=uuid.UUID(f["tenant"]), user=uuid.UUID(f["user"]), lead=None, step=None)
        self.assertEqual(VECTORS["base_url"] + self.minimal["path"], self.signer.pixel_url(ids))

    def test_an_identifier_that_is_not_text_is_refused_naming_the_field(self):
        # str() signed b"msg-1" as the text "b'msg-1'" and 3 as "3"
        f = self.minimal["fields"]
        cases = (("email", b"msg-1", "email must be a str, got bytes"),
                 ("step", 3, "step must be a str, got int"),
                 ("lead", bytearray(b"l"), "lead must be a str, got bytearray"),
                 ("tenant", uuid.UUID(f["tenant"]).bytes, "tenant must be a UUID as str or uuid.UUID, got bytes"))
        for name, value, message in cases:
            with self.subTest(field=name):
                for sign in (self.signer.pixel_url, lambda ids: self.signer.click_url(ids, "https://x.example/"),
                             lambda ids: self.signer.click_url_inline(ids, "https://x.example/")):
                    with self.assertRaises(ValueError) as e:
                        sign(dict(f, **{name: value}))
                    self.assertEqual(message, str(e.exception))

    def test_a_destination_outside_the_policy_is_refused(self):
        with self.assertRaisesRegex(ValueError, "only http and https"):
            self.signer.click_url(self.minimal["fields"], "javascript:alert(1)")

    def test_a_destination_with_a_lone_surrogate_is_a_value_error_naming_the_url(self):
        # it was a UnicodeEncodeError from deep inside normalize, naming no field
        for sign in (self.signer.click_url, self.signer.click_url_inline):
            with self.assertRaises(ValueError) as e:
                sign(self.minimal["fields"], "https://shop.example/sale\ud83d#top")
            self.assertNotIsInstance(e.exception, UnicodeError)
            self.assertEqual("url contains a lone surrogate, which is not Unicode text", str(e.exception))

    def test_a_bad_key_list_names_the_entry_and_not_the_secret(self):
        spec = VECTORS["keys"][0]["spec"]
        with self.assertRaises(ValueError) as e:
            Signer("https://t.example.com", spec + ",,")
        self.assertTrue(str(e.exception).startswith("entry 2 of 3"), str(e.exception))
        self.assertNotIn(spec.split(":")[1], str(e.exception))


if __name__ == "__main__":
    unittest.main()
