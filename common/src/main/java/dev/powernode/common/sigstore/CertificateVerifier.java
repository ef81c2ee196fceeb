package dev.powernode.common.sigstore;

import dev.sigstore.fulcio.client.FulcioVerifier;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;

/**
 * A keyless signer's certificate: its chain to a Fulcio CA of the trusted root and its SCT (by
 * sigstore-java's Fulcio verifier), then what sigstore-java leaves to the caller: the code-signing
 * usage, the log's time inside the certificate's validity, and the SAN and OIDC issuer the
 * {@link SignerPolicy} names.
 */
final class CertificateVerifier {
    private static final String CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
    private static final String ISSUER_V2 = "1.3.6.1.4.1.57264.1.8";
    private static final String ISSUER_V1 = "1.3.6.1.4.1.57264.1.1";

    private final FulcioVerifier fulcio;

    CertificateVerifier(FulcioVerifier fulcio) {
        this.fulcio = fulcio;
    }

    /** A certificate is only evidence when the policy names who may hold one. */
    static void requireKeyless(SignerPolicy policy) {
        if (!policy.keyless()) {
            throw new SigstoreException(
                    "identity", "a keyless (certificate) signature, but the policy names no identity and issuer");
        }
    }

    /** The leaf-first chain up to a Fulcio CA of the trusted root, with a valid SCT. */
    void verifyChain(List<X509Certificate> chain) {
        try {
            fulcio.verifySigningCertificate(
                    CertificateFactory.getInstance("X.509").generateCertPath(chain));
        } catch (Exception e) {
            throw new SigstoreException("certificate", "certificate: " + SigstoreVerifier.oneLine(e), e);
        }
    }

    /** The signer as {@code SAN (issuer)} once usage, identity and issuer match {@code policy}. */
    static String matchIdentity(X509Certificate leaf, SignerPolicy policy) {
        try {
            List<String> usages = leaf.getExtendedKeyUsage();
            if (usages == null || !usages.contains(CODE_SIGNING)) {
                throw new SigstoreException("certificate", "the signing certificate is not for code signing");
            }
        } catch (CertificateParsingException e) {
            throw new SigstoreException("certificate", "unreadable extended key usage");
        }
        List<String> names = subjectAlternativeNames(leaf);
        String san = null;
        for (String name : names) {
            if (policy.identity().matcher(name).matches()) {
                san = name;
                break;
            }
        }
        if (san == null) {
            throw new SigstoreException(
                    "identity",
                    "certificate identity " + names + " does not match "
                            + shown(policy.identity().pattern()));
        }
        String issuer = oidcIssuer(leaf);
        if (!policy.issuer().equals(issuer)) {
            throw new SigstoreException("issuer", "certificate OIDC issuer " + issuer + " is not " + policy.issuer());
        }
        return san + " (" + issuer + ")";
    }

    /** sigstore-java 2.0.0 does not check this (conformance case integrated-time-in-future_fail). */
    static void insideValidity(X509Certificate leaf, Instant integrated, long logIndex) {
        try {
            leaf.checkValidity(Date.from(integrated));
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new SigstoreException(
                    "integrated-time",
                    "log entry " + (logIndex < 0 ? "" : logIndex + " ") + "integrated at " + integrated
                            + ", outside the signing certificate's validity ("
                            + leaf.getNotBefore().toInstant()
                            + " to " + leaf.getNotAfter().toInstant() + ")");
        }
    }

    /** A literal identity is shown as the operator wrote it, not as its quoted regex. */
    private static String shown(String pattern) {
        return pattern.startsWith("\\Q") && pattern.endsWith("\\E") && pattern.indexOf("\\E") == pattern.length() - 2
                ? pattern.substring(2, pattern.length() - 2)
                : pattern;
    }

    static List<String> subjectAlternativeNames(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() == 2 && san.get(1) instanceof String s) {
                        names.add(s);
                    }
                }
            }
        } catch (CertificateException e) {
            throw new SigstoreException("certificate", "unreadable subject alternative names");
        }
        return names;
    }

    /** Fulcio's issuer extension: v2 (DER UTF8String), else v1 (raw bytes). */
    static String oidcIssuer(X509Certificate cert) {
        byte[] v2 = cert.getExtensionValue(ISSUER_V2);
        if (v2 != null) {
            byte[] inner = derContent(derContent(v2, (byte) 0x04), (byte) 0x0c);
            return new String(inner, StandardCharsets.UTF_8);
        }
        byte[] v1 = cert.getExtensionValue(ISSUER_V1);
        if (v1 != null) {
            return new String(derContent(v1, (byte) 0x04), StandardCharsets.UTF_8);
        }
        throw new SigstoreException("issuer", "the certificate has no OIDC issuer extension");
    }

    /** The content of one DER TLV with tag {@code tag}. */
    private static byte[] derContent(byte[] der, byte tag) {
        if (der.length < 2 || der[0] != tag) {
            throw new SigstoreException("certificate", "malformed issuer extension");
        }
        int length = der[1] & 0xff;
        int offset = 2;
        if (length > 0x7f) {
            int n = length & 0x7f;
            if (n > 3 || der.length < 2 + n) {
                throw new SigstoreException("certificate", "malformed issuer extension");
            }
            length = 0;
            for (int i = 0; i < n; i++) {
                length = (length << 8) | (der[2 + i] & 0xff);
            }
            offset = 2 + n;
        }
        if (offset + length != der.length) {
            throw new SigstoreException("certificate", "malformed issuer extension");
        }
        return Arrays.copyOfRange(der, offset, offset + length);
    }

    /** A bundle's DER certificate. */
    static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate)
                    CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new SigstoreException("certificate", "the bundle's certificate does not parse");
        }
    }

    /** The PEM certificates of a cosign annotation ({@code what} names it in the error). */
    static List<X509Certificate> certificates(String pem, String what) {
        try {
            List<X509Certificate> out = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new SigstoreException("certificate", "the " + what + " annotation holds no certificate");
            }
            return out;
        } catch (CertificateException e) {
            throw new SigstoreException("certificate", "the " + what + " annotation is not PEM certificates");
        }
    }

    static byte[] encoded(X509Certificate cert) {
        try {
            return cert.getEncoded();
        } catch (CertificateException e) {
            throw new SigstoreException("certificate", "unreadable certificate");
        }
    }
}
