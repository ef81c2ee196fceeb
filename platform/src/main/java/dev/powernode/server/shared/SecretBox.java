package dev.powernode.server.shared;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.stereotype.Component;

/**
 * AES-256-GCM with the master key, for secrets the platform must read back (webhook HMAC keys).
 * Layout: 12-byte nonce || ciphertext || 16-byte tag. The associated data binds a ciphertext to
 * its row, so a ciphertext copied onto another row does not decrypt.
 */
@Component
public class SecretBox {
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    SecretBox(KeyMaterial keys) {
        byte[] bytes = keys.masterKey().bytes();
        this.key = new SecretKeySpec(bytes, 0, 32, "AES");
    }

    public byte[] seal(byte[] plaintext, byte[] associatedData) {
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(associatedData);
            byte[] sealed = c.doFinal(plaintext);
            return ByteBuffer.allocate(NONCE + sealed.length)
                    .put(nonce)
                    .put(sealed)
                    .array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    /** Decrypts; throws IllegalStateException when the box was tampered with or the key changed. */
    public byte[] open(byte[] box, byte[] associatedData) {
        if (box.length < NONCE + TAG_BITS / 8) {
            throw new IllegalStateException("secret box too short");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, box, 0, NONCE));
            c.updateAAD(associatedData);
            return c.doFinal(box, NONCE, box.length - NONCE);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot decrypt secret (wrong POWERNODE_MASTER_KEY or tampered row)", e);
        }
    }
}
