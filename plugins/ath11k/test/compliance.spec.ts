import { describeWlfwCompliance } from '../../wlfw/test/rig';
import { ATH11K_SIM_PROFILES, plugin } from '../index';

describeWlfwCompliance({ plugin, profiles: ATH11K_SIM_PROFILES, chip: 'QCN9074', config: { cards: ['mhi:0000:0f:00.0'] } });
