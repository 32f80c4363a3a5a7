/* simd_vocab_undef.h - ends one type's instantiations in a target_<isa>.c: undefines the
 * type, tile and vector vocabulary macros of simd_<isa>_f32.h / _f64.h so that the next
 * type can set them. */
#undef TYPE
#undef TYPE_SUFFIX
#undef MR
#undef CC_NVMAX
#undef CC_V
#undef CC_VW
#undef CC_M
#undef CC_MASK
#undef CC_VLOAD
#undef CC_VLOADM
#undef CC_VSTORE
#undef CC_VSTOREM
#undef CC_VFMA
#undef CC_VSET1
#undef CC_VZERO
#undef CC_VADD
#undef CC_VDIV
#undef CC_VSEL_MAX
#undef CC_VLOAD_EVEN
#undef CC_VLOAD_EO
#undef CC_VLOAD_EOM
#undef CC_EOM
#undef CC_EO_MASK
#undef CC_VSHIFT1
#undef CC_VMUL
#undef CC_VLOADR
#undef CC_VTRANSPOSE
#undef CC_NVWIDE
#undef CC_MRMAX
#undef CC_MR_NV
#undef CC_VQUOT
#undef CC_VHSUM
#undef CC_TAIL_MR
#undef CC_TAIL_NV
