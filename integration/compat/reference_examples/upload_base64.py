import requests
headers = {
'x-api-key': 'API_KEY',
'accept': 'application/json',
'Content-Type': 'application/json',
}
json_data = {
'session_id': '<session_id>',
'name': 'example_file.pdf',
'base64_file': '<base64_string>',
}
response = requests.post('https://dev.b-key.kz/api/v1/session/documents/upload/base64/', headers=headers, json=json_data)
