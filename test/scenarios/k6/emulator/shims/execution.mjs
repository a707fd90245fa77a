// k6/execution stand-in: the driver sets the fields before each VU's iteration.
const exec = {
  scenario: { name: '', executor: 'constant-vus', startTime: 0, progress: 0, iterationInInstance: 0, iterationInTest: 0 },
  vu: { idInInstance: 0, idInTest: 0, iterationInInstance: 0, iterationInScenario: 0, tags: {}, metrics: { tags: {}, metadata: {} } },
  instance: { iterationsInterrupted: 0, iterationsCompleted: 0, vusActive: 0, vusInitialized: 0, currentTestRunDuration: 0 },
  test: {
    abort(reason) {
      throw new Error(`emulator: exec.test.abort(${reason ?? ''})`);
    },
    fail(message) {
      throw new Error(`emulator: exec.test.fail(${message ?? ''})`);
    },
    options: {},
  },
};

export default exec;
export const { scenario, vu, instance, test } = exec;
