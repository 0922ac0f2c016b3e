import t from 'tap';
import { startCoreThread } from '../../src/http/core-thread';
import { coreScenario } from '../fixtures/core-scenario';

// The core in a worker thread of its own (the default): the same behaviour, across the thread boundary.
coreScenario(t, (config) => startCoreThread(config, (err) => t.fail(`core thread died: ${err.message}`)));
