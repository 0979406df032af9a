/*
 * qrtrd QMI bench, C side: times the kernel's own qmi_encode_message/qmi_decode_message
 * (drivers/soc/qcom/qmi_encdec.c, extracted from Debian's linux-source package at bench
 * time and never committed) on the same three messages as bench/qmi.bench.ts, with element
 * tables written here for this bench. Prints "<name> <encode ns> <decode ns> <wire bytes>",
 * or with --dump "<name> <datagram hex>" (header included, txn 1).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/types.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/soc/qcom/qmi.h>

#define OPT(tlv, st, fld) { .data_type = QMI_OPT_FLAG, .elem_len = 1, .elem_size = sizeof(u8), \
	.array_type = NO_ARRAY, .tlv_type = (tlv), .offset = offsetof(st, fld##_valid) }
#define SCALAR(kind, tlv, st, fld) { .data_type = (kind), .elem_len = 1, .elem_size = sizeof(((st *)0)->fld), \
	.array_type = NO_ARRAY, .tlv_type = (tlv), .offset = offsetof(st, fld) }
#define STRUCT(tlv, st, fld, ei) { .data_type = QMI_STRUCT, .elem_len = 1, .elem_size = sizeof(((st *)0)->fld), \
	.array_type = NO_ARRAY, .tlv_type = (tlv), .offset = offsetof(st, fld), .ei_array = (ei) }
#define STRING(tlv, st, fld) { .data_type = QMI_STRING, .elem_len = sizeof(((st *)0)->fld) - 1, \
	.elem_size = sizeof(char), .array_type = NO_ARRAY, .tlv_type = (tlv), .offset = offsetof(st, fld) }
#define EOTI { .data_type = QMI_EOTI, .array_type = NO_ARRAY, .tlv_type = QMI_COMMON_TLV_TYPE }

/* The result TLV (the kernel exports this table from qmi_interface.c, which we do not build). */
static const struct qmi_elem_info result_ei[] = {
	SCALAR(QMI_SIGNED_2_BYTE_ENUM, QMI_COMMON_TLV_TYPE, struct qmi_response_type_v01, result),
	SCALAR(QMI_SIGNED_2_BYTE_ENUM, QMI_COMMON_TLV_TYPE, struct qmi_response_type_v01, error),
	EOTI,
};

/* ---- IND_REGISTER request (the six TLVs ath11k sets) ---- */
struct ind_register_req {
	u8 fw_ready_enable_valid; u8 fw_ready_enable;
	u8 client_id_valid; u32 client_id;
	u8 request_mem_enable_valid; u8 request_mem_enable;
	u8 fw_mem_ready_enable_valid; u8 fw_mem_ready_enable;
	u8 fw_init_done_enable_valid; u8 fw_init_done_enable;
	u8 cal_done_enable_valid; u8 cal_done_enable;
};
#define IR struct ind_register_req
static const struct qmi_elem_info ind_register_req_ei[] = {
	OPT(0x10, IR, fw_ready_enable), SCALAR(QMI_UNSIGNED_1_BYTE, 0x10, IR, fw_ready_enable),
	OPT(0x15, IR, client_id), SCALAR(QMI_UNSIGNED_4_BYTE, 0x15, IR, client_id),
	OPT(0x16, IR, request_mem_enable), SCALAR(QMI_UNSIGNED_1_BYTE, 0x16, IR, request_mem_enable),
	OPT(0x17, IR, fw_mem_ready_enable), SCALAR(QMI_UNSIGNED_1_BYTE, 0x17, IR, fw_mem_ready_enable),
	OPT(0x18, IR, fw_init_done_enable), SCALAR(QMI_UNSIGNED_1_BYTE, 0x18, IR, fw_init_done_enable),
	OPT(0x1B, IR, cal_done_enable), SCALAR(QMI_UNSIGNED_1_BYTE, 0x1B, IR, cal_done_enable),
	EOTI,
};

/* ---- CAP response (ath11k TLVs) ---- */
struct chip_info { u32 chip_id; u32 chip_family; };
struct board_info { u32 board_id; };
struct soc_info { u32 soc_id; };
struct fw_version_info { u32 fw_version; char fw_build_timestamp[32 + 1]; };
static const struct qmi_elem_info chip_info_ei[] = {
	SCALAR(QMI_UNSIGNED_4_BYTE, QMI_COMMON_TLV_TYPE, struct chip_info, chip_id),
	SCALAR(QMI_UNSIGNED_4_BYTE, QMI_COMMON_TLV_TYPE, struct chip_info, chip_family), EOTI,
};
static const struct qmi_elem_info board_info_ei[] = {
	SCALAR(QMI_UNSIGNED_4_BYTE, QMI_COMMON_TLV_TYPE, struct board_info, board_id), EOTI,
};
static const struct qmi_elem_info soc_info_ei[] = {
	SCALAR(QMI_UNSIGNED_4_BYTE, QMI_COMMON_TLV_TYPE, struct soc_info, soc_id), EOTI,
};
static const struct qmi_elem_info fw_version_info_ei[] = {
	SCALAR(QMI_UNSIGNED_4_BYTE, QMI_COMMON_TLV_TYPE, struct fw_version_info, fw_version),
	STRING(QMI_COMMON_TLV_TYPE, struct fw_version_info, fw_build_timestamp), EOTI,
};
struct cap_resp {
	struct qmi_response_type_v01 resp;
	u8 chip_info_valid; struct chip_info chip_info;
	u8 board_info_valid; struct board_info board_info;
	u8 soc_info_valid; struct soc_info soc_info;
	u8 fw_version_info_valid; struct fw_version_info fw_version_info;
	u8 fw_build_id_valid; char fw_build_id[128 + 1];
	u8 num_macs_valid; u8 num_macs;
	u8 voltage_mv_valid; u32 voltage_mv;
	u8 time_freq_hz_valid; u32 time_freq_hz;
	u8 otp_version_valid; u32 otp_version;
	u8 eeprom_read_timeout_valid; u32 eeprom_read_timeout;
};
#define CR struct cap_resp
static const struct qmi_elem_info cap_resp_ei[] = {
	STRUCT(0x02, CR, resp, result_ei),
	OPT(0x10, CR, chip_info), STRUCT(0x10, CR, chip_info, chip_info_ei),
	OPT(0x11, CR, board_info), STRUCT(0x11, CR, board_info, board_info_ei),
	OPT(0x12, CR, soc_info), STRUCT(0x12, CR, soc_info, soc_info_ei),
	OPT(0x13, CR, fw_version_info), STRUCT(0x13, CR, fw_version_info, fw_version_info_ei),
	OPT(0x14, CR, fw_build_id), STRING(0x14, CR, fw_build_id),
	OPT(0x15, CR, num_macs), SCALAR(QMI_UNSIGNED_1_BYTE, 0x15, CR, num_macs),
	OPT(0x16, CR, voltage_mv), SCALAR(QMI_UNSIGNED_4_BYTE, 0x16, CR, voltage_mv),
	OPT(0x17, CR, time_freq_hz), SCALAR(QMI_UNSIGNED_4_BYTE, 0x17, CR, time_freq_hz),
	OPT(0x18, CR, otp_version), SCALAR(QMI_UNSIGNED_4_BYTE, 0x18, CR, otp_version),
	OPT(0x19, CR, eeprom_read_timeout), SCALAR(QMI_UNSIGNED_4_BYTE, 0x19, CR, eeprom_read_timeout),
	EOTI,
};

/* ---- BDF_DOWNLOAD request with a full 6144-byte segment ---- */
struct bdf_req {
	u8 valid;
	u8 file_id_valid; s32 file_id;
	u8 total_size_valid; u32 total_size;
	u8 seg_id_valid; u32 seg_id;
	u8 data_valid; u32 data_len; u8 data[6144];
	u8 end_valid; u8 end;
	u8 bdf_type_valid; u8 bdf_type;
};
#define BR struct bdf_req
static const struct qmi_elem_info bdf_req_ei[] = {
	SCALAR(QMI_UNSIGNED_1_BYTE, 0x01, BR, valid),
	OPT(0x10, BR, file_id), SCALAR(QMI_SIGNED_4_BYTE_ENUM, 0x10, BR, file_id),
	OPT(0x11, BR, total_size), SCALAR(QMI_UNSIGNED_4_BYTE, 0x11, BR, total_size),
	OPT(0x12, BR, seg_id), SCALAR(QMI_UNSIGNED_4_BYTE, 0x12, BR, seg_id),
	OPT(0x13, BR, data),
	{ .data_type = QMI_DATA_LEN, .elem_len = 1, .elem_size = sizeof(u16), .array_type = NO_ARRAY,
	  .tlv_type = 0x13, .offset = offsetof(BR, data_len) },
	{ .data_type = QMI_UNSIGNED_1_BYTE, .elem_len = 6144, .elem_size = sizeof(u8), .array_type = VAR_LEN_ARRAY,
	  .tlv_type = 0x13, .offset = offsetof(BR, data) },
	OPT(0x14, BR, end), SCALAR(QMI_UNSIGNED_1_BYTE, 0x14, BR, end),
	OPT(0x15, BR, bdf_type), SCALAR(QMI_UNSIGNED_1_BYTE, 0x15, BR, bdf_type),
	EOTI,
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static volatile size_t sink;
static int dump_only;

/* `--dump` mode: print the encoded datagram as hex, for byte-for-byte comparison with qrtrd. */
static void dump(const char *name, const u8 *wire, size_t len)
{
	printf("%s ", name);
	for (size_t i = 0; i < len; i++) printf("%02x", wire[i]);
	printf("\n");
}

/* Best of 5 rounds of `iters` encode (+free) and decode (into a zeroed struct, as kernel callers do). */
static int run(const char *name, int type, unsigned msg_id, size_t max_len, const struct qmi_elem_info *ei,
	       const void *value, void *scratch, size_t struct_size, long iters)
{
	double best_enc = 1e30, best_dec = 1e30;
	size_t len = max_len;
	void *wire = qmi_encode_message(type, msg_id, &len, 1, ei, value);
	if (IS_ERR(wire)) { fprintf(stderr, "%s: encode failed %ld\n", name, PTR_ERR(wire)); return 1; }
	size_t wire_len = len;
	if (dump_only) { dump(name, wire, wire_len); kfree(wire); return 0; }
	for (int round = 0; round < 5; round++) {
		double t0 = now_ns();
		for (long i = 0; i < iters; i++) {
			size_t l = max_len;
			void *m = qmi_encode_message(type, msg_id, &l, (unsigned)i, ei, value);
			sink += l;
			kfree(m);
		}
		double t1 = now_ns();
		for (long i = 0; i < iters; i++) {
			memset(scratch, 0, struct_size);
			int rc = qmi_decode_message(wire, wire_len, ei, scratch);
			if (rc < 0) { fprintf(stderr, "%s: decode failed %d\n", name, rc); return 1; }
			sink += rc;
		}
		double t2 = now_ns();
		if ((t1 - t0) / iters < best_enc) best_enc = (t1 - t0) / iters;
		if ((t2 - t1) / iters < best_dec) best_dec = (t2 - t1) / iters;
	}
	printf("%s %.1f %.1f %zu\n", name, best_enc, best_dec, wire_len);
	kfree(wire);
	return 0;
}

int main(int argc, char **argv)
{
	dump_only = argc > 1 && strcmp(argv[1], "--dump") == 0;
	static struct ind_register_req ir = {
		.fw_ready_enable_valid = 1, .fw_ready_enable = 1, .client_id_valid = 1, .client_id = 0x4B4E454C,
		.request_mem_enable_valid = 1, .request_mem_enable = 1, .fw_mem_ready_enable_valid = 1,
		.fw_mem_ready_enable = 1, .fw_init_done_enable_valid = 1, .fw_init_done_enable = 1,
		.cal_done_enable_valid = 1, .cal_done_enable = 1,
	};
	static struct cap_resp cap = {
		.chip_info_valid = 1, .chip_info = { 0x1234, 0x4001 }, .board_info_valid = 1, .board_info = { 0xff },
		.soc_info_valid = 1, .soc_info = { 0x400c0000 }, .fw_version_info_valid = 1,
		.fw_version_info = { 0x01020304, "2024-01-01 12:00" }, .fw_build_id_valid = 1,
		.fw_build_id = "WLAN.HSP.1.1-03125-QCAHSPSWPL_V1_V2_SILICONZ_LITE-3.6510.37", .num_macs_valid = 1,
		.num_macs = 2, .voltage_mv_valid = 1, .voltage_mv = 3300, .time_freq_hz_valid = 1,
		.time_freq_hz = 19200000, .otp_version_valid = 1, .otp_version = 0, .eeprom_read_timeout_valid = 0,
	};
	static struct bdf_req bdf = {
		.valid = 1, .file_id_valid = 1, .file_id = 0xff, .total_size_valid = 1, .total_size = 100000,
		.seg_id_valid = 1, .seg_id = 3, .data_valid = 1, .data_len = 6144, .end_valid = 1, .end = 0,
		.bdf_type_valid = 1, .bdf_type = 1,
	};
	static union { struct ind_register_req a; struct cap_resp b; struct bdf_req c; } scratch;
	for (int i = 0; i < 6144; i++) bdf.data[i] = (u8)(i * 31 + 7);

	if (run("ind_register_req", QMI_REQUEST, 0x20, 54, ind_register_req_ei, &ir, &scratch, sizeof(scratch.a), 400000)) return 1;
	if (run("cap_resp", QMI_RESPONSE, 0x24, 235, cap_resp_ei, &cap, &scratch, sizeof(scratch.b), 200000)) return 1;
	if (run("bdf_download_req", QMI_REQUEST, 0x25, 6182, bdf_req_ei, &bdf, &scratch, sizeof(scratch.c), 50000)) return 1;
	return 0;
}
