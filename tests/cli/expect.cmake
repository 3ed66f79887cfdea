# Runs CMD with ARGS (one space-separated string) and checks the exit code (EXPECT_CODE) and that
# stdout + stderr contain EXPECT.
separate_arguments(arg_list UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${CMD} ${arg_list} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL ${EXPECT_CODE})
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECT_CODE}\n${out}${err}")
endif()
string(FIND "${out}${err}" "${EXPECT}" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "output lacks '${EXPECT}':\n${out}${err}")
endif()
