import { describeWlfwCompliance } from '../../wlfw/test/rig';
import { ATH12K_SIM_PROFILES, plugin } from '../index';

describeWlfwCompliance({ plugin, profiles: ATH12K_SIM_PROFILES, chip: 'WCN7850', config: { cards: ['mhi:0000:0e:00.0'], dmaChunkLimit: 8388608 } });
