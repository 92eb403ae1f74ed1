// Runs the core suite with @peculiar/webcrypto as the provider: proof that the core needs
// nothing but the WebCrypto interface.
import { Crypto } from '@peculiar/webcrypto';
import { setCryptoProvider } from '../../shared/crypto.js';

setCryptoProvider(new Crypto());
