import t from 'tap';
import { silentLogger } from '../../src/shared/log';
import { startPaymentCore } from '../../src/core/payment-core';
import { coreScenario } from '../fixtures/core-scenario';

// The core in the caller's thread (CORE_THREAD=false).
coreScenario(t, (config) => startPaymentCore(config, silentLogger));
