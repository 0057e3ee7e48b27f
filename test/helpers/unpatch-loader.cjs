// A webpack loader for one test (test/workflows/patch-discipline.test.ts): it makes the deliberate
// mistake the replay corpus exists to catch, taking the acceptance clock out from behind its patch.
module.exports = function unpatch(source) {
  const patchedCall = 'patched(ACCEPTANCE_CLOCK_PATCH)';
  if (!source.includes(patchedCall)) throw new Error(`unpatch-loader: ${patchedCall} not found`);
  return source.replace(patchedCall, 'true');
};
