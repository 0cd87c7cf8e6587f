/** Builder of the fake world the activities and the app run on in unit tests. */
import { FakeWorld } from '../../src/adapters/fake/world';
import { ids } from './target';

/** A fake world with the test profile and two slots, `blue` and `green`, of `instances` scale set VMs each. */
export function aFakeWorld(instances = 1): FakeWorld {
  return new FakeWorld({
    profileId: ids.profile(),
    slots: [
      { name: 'blue', computeId: ids.scaleSet('vmss-blue'), instances },
      { name: 'green', computeId: ids.scaleSet('vmss-green'), instances },
    ],
  });
}
