import { ContainerModule } from 'inversify';
import { LINK_FACTORY } from './link-factory';
import { mhiLinkFactory } from './mhi/mhi-link-factory';
import { rpmsgLinkFactory } from './rpmsg/rpmsg-link-factory';

/** The link kinds `links` in the configuration may name. */
export const builtInLinksModule = new ContainerModule((bind) => {
  bind(LINK_FACTORY).toConstantValue(rpmsgLinkFactory);
  bind(LINK_FACTORY).toConstantValue(mhiLinkFactory);
});
