-- qrtrd.lua: Wireshark/tshark dissector for qrtrd captures (QRTR and QMI over QRTR).
--
-- Load it with `tshark -X lua_script:qrtrd.lua -r capture.pcap` or copy it to the
-- personal Lua plugins folder (Help > About Wireshark > Folders).
--
-- Captures written by qrtrd (src/capture/pcap-writer.ts) use link type
-- LINKTYPE_USER3 (150); every record is the qrtrd pseudo-header followed by one
-- whole QRTR packet. Layout and field list: docs/capture.md.
--
-- Protocols and filterable fields:
--   qrtrd  pseudo-header: qrtrd.version, qrtrd.direction, qrtrd.hdr_len, qrtrd.flags,
--          qrtrd.endpoint, qrtrd.kind, qrtrd.kind_name, qrtrd.backend
--   qrtr   v1/v2 header: qrtr.version, qrtr.type, qrtr.src_node, qrtr.src_port,
--          qrtr.dst_node, qrtr.dst_port, qrtr.confirm_rx, qrtr.size, ...
--          control payload: qrtr.ctrl.cmd, qrtr.ctrl.service, qrtr.ctrl.instance_word,
--          qrtr.ctrl.version, qrtr.ctrl.instance, qrtr.ctrl.node, qrtr.ctrl.port
--   qmi    header and TLVs of DATA packets: qmi.type, qmi.txn, qmi.msg_id, qmi.msg_len,
--          qmi.service, qmi.msg_name, qmi.tlv.type, qmi.tlv.len, qmi.tlv.value,
--          qmi.result, qmi.error
--   wlfw   wlfw.msg, wlfw.msg_name (service 69 only)
--
-- A DATA packet does not say which QMI service it belongs to. The dissector
-- learns (endpoint, node, port) -> service from the NEW_SERVER and DEL_SERVER
-- packets earlier in the same capture (in capture order, on the first pass)
-- and remembers the answer per frame. A capture started after the server was
-- announced has no such packet: its messages then show raw ids only.

local PSEUDO_VERSION = 1
local PSEUDO_MIN_LEN = 16
local PORT_CTRL = 0xfffffffe
local NODE_BCAST = 0xffffffff
local WLFW_SERVICE = 69

local T_DATA, T_HELLO, T_BYE, T_NEW_SERVER, T_DEL_SERVER, T_DEL_CLIENT = 1, 2, 3, 4, 5, 6
local T_RESUME_TX, T_EXIT, T_PING, T_NEW_LOOKUP, T_DEL_LOOKUP, T_DEL_PROC = 7, 8, 9, 10, 11, 13

local type_names = {
  [T_DATA] = "DATA", [T_HELLO] = "HELLO", [T_BYE] = "BYE", [T_NEW_SERVER] = "NEW_SERVER",
  [T_DEL_SERVER] = "DEL_SERVER", [T_DEL_CLIENT] = "DEL_CLIENT", [T_RESUME_TX] = "RESUME_TX",
  [T_EXIT] = "EXIT", [T_PING] = "PING", [T_NEW_LOOKUP] = "NEW_LOOKUP", [T_DEL_LOOKUP] = "DEL_LOOKUP",
  [T_DEL_PROC] = "DEL_PROC",
}
local direction_names = { [0] = "rx", [1] = "tx", [2] = "local" }
local kind_names = { [0] = "other", [1] = "local", [2] = "mhi", [3] = "rpmsg", [4] = "tun", [5] = "socket", [6] = "kernel", [7] = "memory" }
local node_names = { [NODE_BCAST] = "BCAST" }
local port_names = { [PORT_CTRL] = "CTRL" }
local qmi_type_names = { [0] = "req", [2] = "resp", [4] = "ind" }
local qmi_result_names = { [0] = "SUCCESS", [1] = "FAILURE" }
local qmi_error_names = {
  [0] = "NONE", [1] = "MALFORMED_MSG", [2] = "NO_MEMORY", [3] = "INTERNAL", [4] = "ABORTED",
  [5] = "CLIENT_IDS_EXHAUSTED", [7] = "INVALID_CLIENT_ID", [17] = "MISSING_ARGUMENT", [26] = "NO_EFFECT",
  [41] = "INVALID_ID", [48] = "INVALID_ARGUMENT", [58] = "ENCODING", [71] = "INVALID_QMI_COMMAND",
  [90] = "INCOMPATIBLE_STATE", [94] = "NOT_SUPPORTED",
}
-- WLFW message ids (requests and responses share an id), docs/capture.md and qmi.md section 4.2.
local wlfw_names = {
  [0x20] = "IND_REGISTER", [0x21] = "FW_READY_IND", [0x22] = "WLAN_MODE", [0x23] = "WLAN_CFG",
  [0x24] = "CAP", [0x25] = "BDF_DOWNLOAD", [0x26] = "CAL_REPORT", [0x27] = "CAL_DOWNLOAD",
  [0x28] = "INITIATE_CAL_DOWNLOAD_IND", [0x29] = "CAL_UPDATE", [0x2a] = "INITIATE_CAL_UPDATE_IND",
  [0x2b] = "MSA_READY_IND", [0x2c] = "PIN_CONNECT_RESULT_IND", [0x2d] = "MSA_INFO", [0x2e] = "MSA_READY",
  [0x2f] = "WLAN_INI", [0x30] = "ATHDIAG_READ", [0x31] = "ATHDIAG_WRITE", [0x32] = "VBATT",
  [0x33] = "MAC_ADDR", [0x34] = "HOST_CAP", [0x35] = "REQUEST_MEM_IND", [0x36] = "RESPOND_MEM",
  [0x37] = "FW_MEM_READY_IND", [0x38] = "FW_INIT_DONE_IND", [0x39] = "REJUVENATE_IND",
  [0x3a] = "REJUVENATE_ACK", [0x3b] = "DYNAMIC_FEATURE_MASK", [0x3c] = "M3_INFO", [0x3d] = "XO_CAL_IND",
  [0x3e] = "CAL_DONE_IND", [0x4c] = "DEVICE_INFO", [0x57] = "PHY_CAP",
}
local service_names = { [WLFW_SERVICE] = "wlfw" }

---------------------------------------------------------------------------------------------
-- Protocols and fields

local p_qrtrd = Proto("qrtrd", "qrtrd capture pseudo-header")
local p_qrtr = Proto("qrtr", "Qualcomm IPC Router (QRTR)")
local p_qmi = Proto("qmi", "Qualcomm MSM Interface (QMI over QRTR)")
local p_wlfw = Proto("wlfw", "QMI WLAN firmware service (WLFW)")

local f = {
  d_version = ProtoField.uint8("qrtrd.version", "Pseudo-header version", base.DEC),
  d_direction = ProtoField.uint8("qrtrd.direction", "Direction", base.DEC, direction_names),
  d_hdr_len = ProtoField.uint8("qrtrd.hdr_len", "Pseudo-header length", base.DEC),
  d_flags = ProtoField.uint8("qrtrd.flags", "Flags", base.HEX),
  d_kind_truncated = ProtoField.bool("qrtrd.flags.kind_truncated", "Kind name truncated", 8, nil, 0x01),
  d_endpoint = ProtoField.uint32("qrtrd.endpoint", "Endpoint", base.DEC),
  d_kind = ProtoField.uint8("qrtrd.kind", "Backend kind code", base.DEC, kind_names),
  d_kind_name_len = ProtoField.uint8("qrtrd.kind_name_len", "Kind name length", base.DEC),
  d_reserved = ProtoField.bytes("qrtrd.reserved", "Reserved"),
  d_kind_name = ProtoField.string("qrtrd.kind_name", "Kind name"),
  d_backend = ProtoField.string("qrtrd.backend", "Backend kind"),

  q_version = ProtoField.uint32("qrtr.version", "Version", base.DEC, { [1] = "v1", [3] = "v2" }),
  q_type = ProtoField.uint32("qrtr.type", "Type", base.DEC, type_names),
  q_flags = ProtoField.uint8("qrtr.flags", "Flags", base.HEX),
  q_optlen = ProtoField.uint8("qrtr.optlen", "Option length", base.DEC),
  q_size = ProtoField.uint32("qrtr.size", "Payload size", base.DEC),
  q_confirm_rx = ProtoField.bool("qrtr.confirm_rx", "Confirm RX"),
  q_src_node = ProtoField.uint32("qrtr.src_node", "Source node", base.DEC),
  q_src_port = ProtoField.uint32("qrtr.src_port", "Source port", base.DEC),
  q_dst_node = ProtoField.uint32("qrtr.dst_node", "Destination node", base.DEC),
  q_dst_port = ProtoField.uint32("qrtr.dst_port", "Destination port", base.DEC),
  q_hdr_len = ProtoField.uint32("qrtr.hdr_len", "Header length", base.DEC),
  q_opt = ProtoField.bytes("qrtr.opt", "Optional header"),
  q_padding = ProtoField.bytes("qrtr.padding", "Padding"),
  q_payload = ProtoField.bytes("qrtr.payload", "Payload"),

  c_cmd = ProtoField.uint32("qrtr.ctrl.cmd", "Command", base.DEC, type_names),
  c_service = ProtoField.uint32("qrtr.ctrl.service", "Service", base.DEC, service_names),
  c_instance_word = ProtoField.uint32("qrtr.ctrl.instance_word", "Instance word", base.HEX),
  c_version = ProtoField.uint32("qrtr.ctrl.version", "Version", base.DEC, nil, 0x000000ff),
  c_instance = ProtoField.uint32("qrtr.ctrl.instance", "Instance", base.DEC, nil, 0xffffff00),
  c_node = ProtoField.uint32("qrtr.ctrl.node", "Node", base.DEC),
  c_port = ProtoField.uint32("qrtr.ctrl.port", "Port", base.DEC),
  c_unused = ProtoField.bytes("qrtr.ctrl.unused", "Unused"),
  c_end_of_list = ProtoField.bool("qrtr.ctrl.end_of_list", "End of lookup listing"),

  m_type = ProtoField.uint8("qmi.type", "Message type", base.DEC, qmi_type_names),
  m_txn = ProtoField.uint16("qmi.txn", "Transaction id", base.DEC),
  m_msg_id = ProtoField.uint16("qmi.msg_id", "Message id", base.HEX),
  m_msg_len = ProtoField.uint16("qmi.msg_len", "Message length", base.DEC),
  m_service = ProtoField.uint32("qmi.service", "Service (learned from NEW_SERVER)", base.DEC, service_names),
  m_msg_name = ProtoField.string("qmi.msg_name", "Message name"),
  m_tlv = ProtoField.bytes("qmi.tlv", "TLV"),
  m_tlv_type = ProtoField.uint8("qmi.tlv.type", "TLV type", base.HEX),
  m_tlv_len = ProtoField.uint16("qmi.tlv.len", "TLV length", base.DEC),
  m_tlv_value = ProtoField.bytes("qmi.tlv.value", "TLV value"),
  m_result = ProtoField.uint16("qmi.result", "Result", base.DEC, qmi_result_names),
  m_error = ProtoField.uint16("qmi.error", "Error", base.DEC, qmi_error_names),

  w_msg = ProtoField.uint16("wlfw.msg", "WLFW message", base.HEX, wlfw_names),
  w_msg_name = ProtoField.string("wlfw.msg_name", "WLFW message name"),
}

p_qrtrd.fields = { f.d_version, f.d_direction, f.d_hdr_len, f.d_flags, f.d_kind_truncated, f.d_endpoint, f.d_kind,
  f.d_kind_name_len, f.d_reserved, f.d_kind_name, f.d_backend }
p_qrtr.fields = { f.q_version, f.q_type, f.q_flags, f.q_optlen, f.q_size, f.q_confirm_rx, f.q_src_node, f.q_src_port,
  f.q_dst_node, f.q_dst_port, f.q_hdr_len, f.q_opt, f.q_padding, f.q_payload, f.c_cmd, f.c_service, f.c_instance_word,
  f.c_version, f.c_instance, f.c_node, f.c_port, f.c_unused, f.c_end_of_list }
p_qmi.fields = { f.m_type, f.m_txn, f.m_msg_id, f.m_msg_len, f.m_service, f.m_msg_name, f.m_tlv, f.m_tlv_type,
  f.m_tlv_len, f.m_tlv_value, f.m_result, f.m_error }
p_wlfw.fields = { f.w_msg, f.w_msg_name }

local e = {
  pseudo = ProtoExpert.new("qrtrd.malformed", "Malformed qrtrd pseudo-header", expert.group.MALFORMED, expert.severity.ERROR),
  qrtr = ProtoExpert.new("qrtr.malformed", "Malformed QRTR packet", expert.group.MALFORMED, expert.severity.ERROR),
  ctrl = ProtoExpert.new("qrtr.ctrl.short", "Control payload shorter than 20 bytes", expert.group.MALFORMED, expert.severity.WARN),
  tlv = ProtoExpert.new("qmi.tlv.overrun", "TLV runs past the end of the message", expert.group.MALFORMED, expert.severity.ERROR),
}
p_qrtrd.experts = { e.pseudo }
p_qrtr.experts = { e.qrtr, e.ctrl }
p_qmi.experts = { e.tlv }

---------------------------------------------------------------------------------------------
-- Per-capture service table: "ep/node/port" and "node/port" -> service, plus the answer
-- for each DATA frame so later passes (and GUI re-dissection) agree with the first.

local services_by_ep, services_by_addr, frame_service

local function reset_services()
  services_by_ep, services_by_addr, frame_service = {}, {}, {}
end
reset_services()
p_qrtrd.init = reset_services

local function learn(pinfo, endpoint, src_node, cmd, service, node, port)
  if pinfo.visited then return end
  local k3, k2 = endpoint .. "/" .. node .. "/" .. port, node .. "/" .. port
  if cmd == T_NEW_SERVER then
    if node == 0 and port == 0 then return end
    services_by_ep[k3], services_by_addr[k2] = service, service
  elseif cmd == T_DEL_SERVER or cmd == T_DEL_CLIENT then
    services_by_ep[k3], services_by_addr[k2] = nil, nil
  elseif cmd == T_BYE then
    local prefix = endpoint .. "/" .. src_node .. "/"
    for k in pairs(services_by_ep) do
      if k:sub(1, #prefix) == prefix then services_by_ep[k] = nil end
    end
  end
end

local function service_for(pinfo, endpoint, node, port)
  if not pinfo.visited then
    local s = services_by_ep[endpoint .. "/" .. node .. "/" .. port] or services_by_addr[node .. "/" .. port]
    frame_service[pinfo.number] = s or false
  end
  return frame_service[pinfo.number] or nil
end

-- Named addresses are appended as text, so the fields stay plain numbers in filters and -T fields.
local function add_addr(tree, field, range, value, names)
  local it = tree:add_le(field, range, value)
  if names[value] then it:append_text(" (" .. names[value] .. ")") end
  return it
end

local function node_str(n) return node_names[n] or tostring(n) end
local function port_str(p) return port_names[p] or tostring(p) end

---------------------------------------------------------------------------------------------
-- QMI

local function dissect_qmi(tvb, pinfo, tree, endpoint, h)
  local len = tvb:len()
  if len < 7 then return nil end
  local mtype = tvb(0, 1):uint()
  local msg_len = tvb(5, 2):le_uint()
  if qmi_type_names[mtype] == nil or msg_len ~= len - 7 then return nil end
  local txn, msg_id = tvb(1, 2):le_uint(), tvb(3, 2):le_uint()
  local service
  if mtype == 0 then
    service = service_for(pinfo, endpoint, h.dst_node, h.dst_port)
  else
    service = service_for(pinfo, endpoint, h.src_node, h.src_port)
  end

  local st = tree:add(p_qmi, tvb(0, len))
  st:add(f.m_type, tvb(0, 1))
  st:add_le(f.m_txn, tvb(1, 2))
  st:add_le(f.m_msg_id, tvb(3, 2))
  st:add_le(f.m_msg_len, tvb(5, 2))
  local name
  if service then
    st:add(f.m_service, service):set_generated()
    if service == WLFW_SERVICE then
      name = wlfw_names[msg_id]
      local wt = tree:add(p_wlfw, tvb(3, 2))
      wt:add_le(f.w_msg, tvb(3, 2))
      if name then wt:add(f.w_msg_name, name):set_generated() end
    end
  end
  if name then st:add(f.m_msg_name, name):set_generated() end

  local off, tlvs = 7, {}
  while off < len do
    if len - off < 3 then
      st:add_tvb_expert_info(e.tlv, tvb(off, len - off), "Trailing " .. (len - off) .. " bytes after the last TLV")
      break
    end
    local t, l = tvb(off, 1):uint(), tvb(off + 1, 2):le_uint()
    if off + 3 + l > len then
      local it = st:add(f.m_tlv, tvb(off, len - off))
      it:add(f.m_tlv_type, tvb(off, 1))
      it:add_le(f.m_tlv_len, tvb(off + 1, 2))
      it:add_proto_expert_info(e.tlv, string.format("TLV 0x%02x length %d runs %d bytes past the message", t, l, off + 3 + l - len))
      break
    end
    local it = st:add(f.m_tlv, tvb(off, 3 + l))
    it:set_text(string.format("TLV 0x%02x, length %d", t, l))
    it:add(f.m_tlv_type, tvb(off, 1))
    it:add_le(f.m_tlv_len, tvb(off + 1, 2))
    if l > 0 then it:add(f.m_tlv_value, tvb(off + 3, l)) end
    if t == 0x02 and l == 4 and mtype == 2 then
      it:add_le(f.m_result, tvb(off + 3, 2))
      it:add_le(f.m_error, tvb(off + 5, 2))
    end
    tlvs[#tlvs + 1] = string.format("0x%02x/%d", t, l)
    off = off + 3 + l
  end

  local svc = service and ((service_names[service] or ("service " .. service)) .. " ") or ""
  st:append_text(string.format(", %s%s txn %d msg 0x%04x%s", svc, qmi_type_names[mtype], txn, msg_id, name and (" " .. name) or ""))
  return (service == WLFW_SERVICE and "WLFW" or "QMI"), string.format("%s%s txn %d msg 0x%04x%s tlvs %s", svc, qmi_type_names[mtype], txn, msg_id,
    name and (" " .. name) or "", #tlvs > 0 and table.concat(tlvs, " ") or "none")
end

---------------------------------------------------------------------------------------------
-- QRTR control payload

local function dissect_control(tvb, pinfo, tree, endpoint, h)
  local len = tvb:len()
  if len < 20 then
    local it = tree:add(f.q_payload, tvb(0, len))
    it:add_proto_expert_info(e.ctrl)
    return "control payload " .. len .. " bytes (short)"
  end
  local cmd = tvb(0, 4):le_uint()
  tree:add_le(f.c_cmd, tvb(0, 4))
  local prefix = (cmd ~= h.type) and ("cmd " .. (type_names[cmd] or tostring(cmd)) .. " ") or ""
  if cmd == T_NEW_SERVER or cmd == T_DEL_SERVER or cmd == T_NEW_LOOKUP or cmd == T_DEL_LOOKUP then
    local service, word = tvb(4, 4):le_uint(), tvb(8, 4):le_uint()
    local node, port = tvb(12, 4):le_uint(), tvb(16, 4):le_uint()
    tree:add_le(f.c_service, tvb(4, 4))
    tree:add_le(f.c_instance_word, tvb(8, 4))
    tree:add_le(f.c_version, tvb(8, 4))
    tree:add_le(f.c_instance, tvb(8, 4))
    add_addr(tree, f.c_node, tvb(12, 4), node, node_names)
    add_addr(tree, f.c_port, tvb(16, 4), port, port_names)
    learn(pinfo, endpoint, h.src_node, cmd, service, node, port)
    if cmd == T_NEW_SERVER and service == 0 and word == 0 and node == 0 and port == 0 then
      tree:add(f.c_end_of_list, true):set_generated()
      return prefix .. "end-of-list"
    end
    local s = string.format("%sservice %d version %d instance %d", prefix, service, word % 256, math.floor(word / 256))
    if cmd == T_NEW_SERVER or cmd == T_DEL_SERVER then s = s .. " node " .. node_str(node) .. " port " .. port_str(port) end
    return s
  elseif cmd == T_BYE or cmd == T_DEL_CLIENT or cmd == T_RESUME_TX then
    local node, port = tvb(4, 4):le_uint(), tvb(8, 4):le_uint()
    add_addr(tree, f.c_node, tvb(4, 4), node, node_names)
    add_addr(tree, f.c_port, tvb(8, 4), port, port_names)
    tree:add(f.c_unused, tvb(12, len - 12))
    learn(pinfo, endpoint, h.src_node, cmd, 0, node, port)
    return prefix .. "node " .. node_str(node) .. " port " .. port_str(port)
  elseif cmd == T_DEL_PROC then
    add_addr(tree, f.c_node, tvb(8, 4), tvb(8, 4):le_uint(), node_names)
    return prefix .. "node " .. node_str(tvb(8, 4):le_uint())
  else
    tree:add(f.c_unused, tvb(4, len - 4))
    if type_names[cmd] == nil then return "cmd " .. cmd end
    return (prefix:gsub(" $", ""))
  end
end

---------------------------------------------------------------------------------------------
-- QRTR header

local function dissect_qrtr(tvb, pinfo, tree, endpoint)
  local len = tvb:len()
  local t = tree:add(p_qrtr, tvb(0, len))
  pinfo.cols.protocol:set("QRTR")
  if len == 0 then
    t:add_proto_expert_info(e.qrtr, "Empty packet")
    return "MALFORMED empty packet"
  end
  local wire = tvb(0, 1):uint()
  local h = {}
  local size, hdr_len
  if wire == 1 then
    if len < 32 then
      t:add_proto_expert_info(e.qrtr, "Shorter than the 32-byte v1 header")
      return "MALFORMED truncated v1 header"
    end
    h.version = 1
    h.type = tvb(4, 4):le_uint()
    h.src_node, h.src_port = tvb(8, 4):le_uint(), tvb(12, 4):le_uint()
    h.confirm_rx = tvb(16, 4):le_uint() ~= 0
    size = tvb(20, 4):le_uint()
    h.dst_node, h.dst_port = tvb(24, 4):le_uint(), tvb(28, 4):le_uint()
    hdr_len = 32
    t:add_le(f.q_version, tvb(0, 4))
    t:add_le(f.q_type, tvb(4, 4))
    add_addr(t, f.q_src_node, tvb(8, 4), h.src_node, node_names)
    add_addr(t, f.q_src_port, tvb(12, 4), h.src_port, port_names)
    t:add(f.q_confirm_rx, tvb(16, 4), h.confirm_rx)
    t:add_le(f.q_size, tvb(20, 4))
    add_addr(t, f.q_dst_node, tvb(24, 4), h.dst_node, node_names)
    -- A legacy 0xffff destination port means CTRL, as in the kernel.
    if h.dst_port == 0xffff then h.dst_port = PORT_CTRL end
    add_addr(t, f.q_dst_port, tvb(28, 4), h.dst_port, port_names)
  elseif wire == 3 then
    if len < 16 then
      t:add_proto_expert_info(e.qrtr, "Shorter than the 16-byte v2 header")
      return "MALFORMED truncated v2 header"
    end
    h.version = 2
    h.type = tvb(1, 1):uint()
    local flags, optlen = tvb(2, 1):uint(), tvb(3, 1):uint()
    h.confirm_rx = (flags % 2) == 1
    size = tvb(4, 4):le_uint()
    local function widen(p) if p == 0xfffe or p == 0xffff then return PORT_CTRL end return p end
    h.src_node, h.src_port = tvb(8, 2):le_uint(), widen(tvb(10, 2):le_uint())
    h.dst_node, h.dst_port = tvb(12, 2):le_uint(), widen(tvb(14, 2):le_uint())
    hdr_len = 16 + optlen
    t:add(f.q_version, tvb(0, 1))
    t:add(f.q_type, tvb(1, 1))
    t:add(f.q_flags, tvb(2, 1))
    t:add(f.q_confirm_rx, tvb(2, 1), h.confirm_rx)
    t:add(f.q_optlen, tvb(3, 1))
    t:add_le(f.q_size, tvb(4, 4))
    add_addr(t, f.q_src_node, tvb(8, 2), h.src_node, node_names)
    add_addr(t, f.q_src_port, tvb(10, 2), h.src_port, port_names)
    add_addr(t, f.q_dst_node, tvb(12, 2), h.dst_node, node_names)
    add_addr(t, f.q_dst_port, tvb(14, 2), h.dst_port, port_names)
    if optlen > 0 and hdr_len <= len then t:add(f.q_opt, tvb(16, optlen)) end
    if hdr_len > len or optlen % 4 ~= 0 then
      t:add_proto_expert_info(e.qrtr, "optlen " .. optlen .. " does not fit the packet on a 4-byte boundary")
      return "MALFORMED bad v2 optlen " .. optlen
    end
  else
    t:add(f.q_version, tvb(0, 1))
    t:add_proto_expert_info(e.qrtr, string.format("Version byte 0x%02x is neither 1 (v1) nor 3 (v2)", wire))
    return string.format("MALFORMED version 0x%02x", wire)
  end
  t:add(f.q_hdr_len, hdr_len):set_generated()
  local tname = type_names[h.type] or ("TYPE_" .. h.type)
  t:append_text(string.format(", v%d %s, %s:%s -> %s:%s", h.version, tname, node_str(h.src_node), port_str(h.src_port),
    node_str(h.dst_node), port_str(h.dst_port)))
  local head = string.format("v%d %s %s:%s -> %s:%s%s", h.version, tname, node_str(h.src_node), port_str(h.src_port),
    node_str(h.dst_node), port_str(h.dst_port), h.confirm_rx and " confirm_rx" or "")

  if len % 4 ~= 0 or size == 0 or size > len - hdr_len or len ~= hdr_len + size + ((4 - size % 4) % 4) then
    t:add_proto_expert_info(e.qrtr, string.format("size %d does not match a %d-byte packet with a %d-byte header", size, len, hdr_len))
    if hdr_len < len then t:add(f.q_payload, tvb(hdr_len, len - hdr_len)) end
    return head .. " MALFORMED size " .. size
  end
  local pad = len - hdr_len - size
  if pad > 0 then t:add(f.q_padding, tvb(hdr_len + size, pad)) end
  local payload = tvb(hdr_len, size):tvb()

  if h.type ~= T_DATA or h.src_port == PORT_CTRL or h.dst_port == PORT_CTRL then
    local ctrl = dissect_control(payload, pinfo, t, endpoint, h)
    return ctrl == "" and head or (head .. " " .. ctrl)
  end
  local proto, qmi = dissect_qmi(payload, pinfo, tree, endpoint, h)
  if qmi then
    pinfo.cols.protocol:set(proto)
    return head .. " " .. qmi
  end
  t:add(f.q_payload, payload(0, size))
  return head .. " len " .. size
end

---------------------------------------------------------------------------------------------
-- Pseudo-header and registration

function p_qrtrd.dissector(tvb, pinfo, tree)
  local len = tvb:len()
  pinfo.cols.protocol:set("QRTRD")
  local t = tree:add(p_qrtrd, tvb(0, math.min(len, PSEUDO_MIN_LEN)))
  if len < PSEUDO_MIN_LEN then
    t:add_proto_expert_info(e.pseudo, "Record shorter than the 16-byte pseudo-header")
    return len
  end
  local version = tvb(0, 1):uint()
  t:add(f.d_version, tvb(0, 1))
  if version ~= PSEUDO_VERSION then
    t:add_proto_expert_info(e.pseudo, "Unknown pseudo-header version " .. version)
    return len
  end
  local dir, hdr_len, flags = tvb(1, 1):uint(), tvb(2, 1):uint(), tvb(3, 1):uint()
  local endpoint, kind, name_len = tvb(4, 4):le_uint(), tvb(8, 1):uint(), tvb(9, 1):uint()
  t:add(f.d_direction, tvb(1, 1))
  t:add(f.d_hdr_len, tvb(2, 1))
  local ft = t:add(f.d_flags, tvb(3, 1))
  ft:add(f.d_kind_truncated, tvb(3, 1))
  t:add_le(f.d_endpoint, tvb(4, 4))
  t:add(f.d_kind, tvb(8, 1))
  t:add(f.d_kind_name_len, tvb(9, 1))
  t:add(f.d_reserved, tvb(10, 6))
  if hdr_len < PSEUDO_MIN_LEN or hdr_len % 4 ~= 0 or hdr_len < PSEUDO_MIN_LEN + name_len or hdr_len > len then
    t:add_proto_expert_info(e.pseudo, "Bad pseudo-header length " .. hdr_len)
    return len
  end
  t:set_len(hdr_len)
  local backend = kind_names[kind] or ("kind " .. kind)
  if name_len > 0 then
    t:add(f.d_kind_name, tvb(PSEUDO_MIN_LEN, name_len))
    backend = tvb(PSEUDO_MIN_LEN, name_len):string()
  end
  t:add(f.d_backend, backend):set_generated()
  local dname = direction_names[dir] or ("dir " .. dir)
  t:append_text(string.format(", %s, endpoint %d (%s)", dname, endpoint, backend))

  local info
  if hdr_len < len then
    info = dissect_qrtr(tvb(hdr_len, len - hdr_len):tvb(), pinfo, tree, endpoint)
  else
    info = "no packet"
  end
  pinfo.cols.info:set(string.format("%s ep%d %s %s", dname, endpoint, backend, info))
  return len
end

local encaps = wtap_encaps or wtap
DissectorTable.get("wtap_encap"):add(encaps.USER3, p_qrtrd)
